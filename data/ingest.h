// GeoTIFF ingest (`cromss data ingest`, docs/data.md "Ingest"): co-registered S1 (VV, VH dB),
// S2 (13 L1C bands, DN) and label rasters of 1-4 dates are cut into tiles with a stride (plus a
// last edge-aligned tile per axis so every pixel is covered) and written in one of upstream's LMDB
// formats:
// * pretrain: the SSL4EO-S12@NoL triple, uint8 with the SSL4EO encoding (method-spec.md §6.2;
// nodata -> 0),
//   labels must map into 0..8; tiles with ignored/nodata label pixels are skipped (counted);
//   fewer than 4 dates are repeated cyclically (season s uses date s mod k).
// * DW / OSM / DFC: one downstream LMDB of the first date (S1 float32/float64 dB, S2 int16/uint16,
//   labels in DW raw coding: class c stored as c + 1, ignore/nodata as 0; DFC stores classes
//   directly and rejects tiles with ignored pixels).
// Every raster must share the first S1 raster's size, CRS and geotransform (IoError naming both
// files and what differs).
// Labels go through --label_map ("-1:ignore,0:0,1:1"); a value without a mapping is an error.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cromss::data {

struct IngestOptions {
  std::vector<std::string> s1, s2, label;  // 1-4 dates each (label: 1 or as many as S2)
  std::string out_dir;
  std::string format = "pretrain";  // pretrain, DW, OSM or DFC
  std::string name;                 // downstream LMDB directory name (default ingest_<format>_lmdb)
  int tile = 264;
  int stride = 0;         // 0: = tile
  std::string label_map;  // empty: identity
  int protocol = 4;
};

// -1:ignore,0:0,... -> value -> class (-1 = ignore).
std::map<int64_t, int> parse_label_map(const std::string& spec);

struct IngestReport {
  int64_t tiles_written = 0, tiles_skipped = 0;
  int raster_height = 0, raster_width = 0;
  std::vector<uint64_t> class_pixels;  // after mapping, written tiles; last entry = ignore
  std::vector<std::string> written;
};

IngestReport ingest_geotiffs(const IngestOptions& opt);

}  // namespace cromss::data
