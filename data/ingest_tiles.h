// One scene of ingest (data/ingest.h) cut into encoded tiles: opens the scene's rasters, checks
// that they share the first S1 raster's grid, and reads them one tile window at a time. The
// arrays come out in the byte layout of the output format; data/ingest_output.h pickles and
// stores them under their keys.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data/ingest_scenes.h"

namespace cromss::data {

struct TileSettings {
  std::string format;  // pretrain, DW, OSM or DFC
  int tile = 264;      // 0: the whole scene
  int stride = 0;      // 0: = tile
  std::map<int64_t, int> label_map;
  int max_class() const;  // 8 pretrain/DW, 7 DFC, 12 OSM
};

struct EncodedTile {
  int64_t height = 0, width = 0;
  std::string s1, s2, label;  // raw C-order arrays (pretrain: 4 seasons each)
  std::string name;           // DW/OSM file id: "<S1 stem>_<row>_<col>.tif" ("<S1 stem>.tif" whole)
  std::vector<uint64_t> class_pixels;  // max_class + 2 entries; last = ignore
};

// Calls emit for every tile to store, in row-major tile order; returns the number of tiles
// skipped for ignored label pixels (pretrain, DFC). Throws IoError naming the file when the scene
// must be refused (unreadable, off the S1 grid, smaller than a tile, unmapped label value).
int64_t tile_scene(const IngestScene& scene, const TileSettings& settings,
                   const std::function<void(EncodedTile&&)>& emit);

}  // namespace cromss::data
