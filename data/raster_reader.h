// Whole-raster reads for GeoTIFF ingest (data/ingest.cpp): every band as float64 with its nodata
// value, and the georeferencing (CRS, geotransform) that ingest checks between modalities. GDAL
// does the reading (data/raster_reader.cpp); a build with -DCROMSS_GDAL=OFF links
// data/no_gdal/raster_reader.cpp instead, whose read_raster names the missing option.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace cromss::data {

struct Raster {
  std::string path;
  int bands = 0, height = 0, width = 0;
  std::vector<double> data;       // (bands, H, W)
  std::vector<bool> has_nodata;   // per band
  std::vector<double> nodata;     // per band
  std::string crs_wkt;            // "" when the raster has no CRS
  bool has_geotransform = false;  // GDAL geotransform: x0, dx, rx, y0, ry, dy
  double geotransform[6] = {0, 1, 0, 0, 0, 1};
  bool is_nodata(int b, double v) const {
    return std::isnan(v) || (has_nodata[b] && v == nodata[b]);
  }
};

// Reads `path`; want_bands > 0 requires that many bands. `what` ("S1", "label") names the raster
// in errors.
Raster read_raster(const std::string& path, int want_bands, const char* what);

// "" when `b` lies on `a`'s grid (same size, CRS and geotransform within 1e-3 pixel), else what
// differs, naming both files.
std::string georeference_mismatch(const Raster& a, const Raster& b);

}  // namespace cromss::data
