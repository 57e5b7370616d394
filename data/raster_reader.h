// Whole-raster reads for GeoTIFF ingest (data/ingest.cpp): every band as float64 with its nodata
// value. GDAL does the reading (data/raster_reader.cpp); a build with -DCROMSS_GDAL=OFF links
// data/no_gdal/raster_reader.cpp instead, whose read_raster names the missing option.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace cromss::data {

struct Raster {
  std::string path;
  int bands = 0, height = 0, width = 0;
  std::vector<double> data;      // (bands, H, W)
  std::vector<bool> has_nodata;  // per band
  std::vector<double> nodata;    // per band
  bool is_nodata(int b, double v) const {
    return std::isnan(v) || (has_nodata[b] && v == nodata[b]);
  }
};

// Reads `path`; want_bands > 0 requires that many bands. `what` ("S1", "label") names the raster
// in errors.
Raster read_raster(const std::string& path, int want_bands, const char* what);

}  // namespace cromss::data
