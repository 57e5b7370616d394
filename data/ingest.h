// GeoTIFF ingest (`cromss data ingest`, docs/data.md "Ingest"): the scenes of a list file or a
// release layout (data/ingest_scenes.h) - co-registered S1 (VV, VH dB), S2 (13 L1C bands, DN) and
// label rasters of 1-4 dates - are cut into tiles with a stride (plus a last edge-aligned tile per
// axis so every pixel is covered) and written into ONE LMDB set in one of upstream's formats:
// * pretrain: the SSL4EO-S12@NoL triple, uint8 with the SSL4EO encoding (method-spec.md §6.2;
//   nodata -> 0), labels must map into 0..8; tiles with ignored/nodata label pixels are skipped
//   (counted); fewer than 4 dates are repeated cyclically (season s uses date s mod k).
// * DW / OSM / DFC: one downstream LMDB of the first date (S1 float32/float64 dB, S2 int16/uint16,
//   labels in DW raw coding: class c stored as c + 1, ignore/nodata as 0; DFC stores classes
//   directly and rejects tiles with ignored pixels).
// Keys continue after what the LMDB set already holds, so a second run appends. A progress record
// (ingest_progress.json in the label LMDB directory, written after the LMDBs are synced) names the
// finished scenes and the next key: a re-run after an interruption drops keys past it and skips
// finished scenes. Worker threads read scenes (GDAL windows of one tile: memory is bounded by
// threads x queued tiles whatever the scene size); one writer stores tiles in scene order, so the
// bytes do not depend on the thread count. Every raster of a scene must share the first S1
// raster's size, CRS and geotransform; a scene that does not (or cannot be read, or has a label
// value without a --label_map entry) is refused with the reason and nothing of it is written.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/ingest_scenes.h"

namespace cromss::data {

struct IngestOptions {
  std::vector<IngestScene> scenes;
  std::string out_dir;
  std::string format = "pretrain";  // pretrain, DW, OSM or DFC
  std::string name;                 // downstream LMDB directory name (default ingest_<format>_lmdb)
  int tile = 264;                   // 0: each scene is one tile of its full size
  int stride = 0;                   // 0: = tile
  std::string label_map;            // empty: identity
  int protocol = 4;
  int threads = 0;  // reader threads (0: all cores, at most 8)
};

// -1:ignore,0:0,... -> value -> class (-1 = ignore).
std::map<int64_t, int> parse_label_map(const std::string& spec);

struct IngestReport {
  int64_t tiles_written = 0, tiles_skipped = 0;  // skipped: ignored label pixels (pretrain, DFC)
  int64_t first_key = 0, next_key = 0;           // keys written: first_key .. next_key - 1
  int64_t scenes_ingested = 0, scenes_already_done = 0;
  std::vector<SceneRefusal> refused;   // scenes (or files of a layout) not ingested, with reasons
  std::vector<uint64_t> class_pixels;  // after mapping, written tiles; last entry = ignore
  std::vector<std::string> written;    // LMDB paths
};

IngestReport ingest(const IngestOptions& opt);

}  // namespace cromss::data
