// The scenes of one `cromss data ingest` run (docs/data.md "Ingest"): from a list file, or found
// in a release folder layout. A scene is one location: 1-4 dates of S1, S2 and label rasters
// (an S1/S2 "raster" may be a directory of per-band files, see data/raster_reader.h). Its id (the
// absolute S1 paths, symbolic links not resolved) is what the resume record remembers.
// * list file: one scene per line, "S1 S2 LABEL" separated by blanks, dates within a column by
//   commas; '#' starts a comment; relative paths are relative to the list file.
// * dfc2020: every *_s1_*.tif below the root
// (ROIs0000_<split>/s1_0/ROIs0000_<split>_s1_0_p<i>.tif),
//   with S2 and label at the same path with s1 replaced by s2 and dfc.
// * ssl4eo: <root>/s1/<location>/<season>, <root>/s2c/<location>/<season> (the release's per-band
//   directories or multi-band GeoTIFFs) and <root>/dw/<location>/<season>.tif labels; the seasons
//   of each modality are paired in date order (the first 8-digit date in the name, YYYYMMDD).
// * dw, osm: <root>/s1, <root>/s2 and <root>/dw (osm: <root>/osm) holding one GeoTIFF per tile,
//   paired by file name after an optional "s1_" / "s2_" / "dw_" / "osm_" prefix.
// A location or tile whose counterpart is missing is not a scene but a refusal with the reason.
#pragma once

#include <string>
#include <vector>

namespace cromss::data {

struct IngestScene {
  std::vector<std::string> s1, s2, label;  // 1-4 dates each (label: 1 or as many as S2)
  std::string id() const;                  // the absolute S1 paths, comma-separated
};

struct SceneRefusal {
  std::string scene;   // id or path
  std::string reason;  // what is wrong, naming the files
};

struct SceneList {
  std::vector<IngestScene> scenes;
  std::vector<SceneRefusal> refused;
};

SceneList scenes_from_list_file(const std::string& path);
// layout: dfc2020, ssl4eo, dw or osm.
SceneList scenes_from_layout(const std::string& layout, const std::string& root);

// Defaults a layout implies: LMDB format, tile size (DW/OSM: 0, whole tiles) and label mapping
// (DFC2020 classes to DW indices, spec §6.4, with savanna and snow/ice ignored so that such tiles
// are skipped; DW/OSM label files in the readers' raw coding, 0 and DW's 10 (cloud) ignored).
struct LayoutDefaults {
  std::string format;
  int tile = 0;
  std::string label_map;
};
LayoutDefaults layout_defaults(const std::string& layout);

// Per-band file names (without ".tif") of the SSL4EO-S12 release, in cromss band order.
const std::vector<std::string>& s1_band_files();
const std::vector<std::string>& s2_band_files();

}  // namespace cromss::data
