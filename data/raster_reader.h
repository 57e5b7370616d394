// GeoTIFF access through GDAL (data/raster_reader.cpp; a build with -DCROMSS_GDAL=OFF links
// data/no_gdal/raster_reader.cpp instead, whose functions name the missing option):
// * read_raster: the whole raster for GeoTIFF ingest (data/ingest.cpp): every band as float64
//   with its nodata value, and the georeferencing (CRS, geotransform) that ingest checks between
//   modalities;
// * RasterWindows: the same metadata and windowed reads, for scenes too large to read whole
//   (`cromss predict` on a 10980 x 10980 S2 tile);
// * ClassMapWriter: a single-band uint8 GeoTIFF on another raster's grid (size, CRS,
//   geotransform) with a nodata value, written block of rows by block of rows.
#pragma once

#include <cmath>
#include <cstdint>
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

// Windowed reads. info() has every field of Raster except data (empty).
class RasterWindows {
 public:
  // want_bands > 0 requires that many bands (IoError naming `what`, the file and both counts).
  RasterWindows(const std::string& path, int want_bands, const char* what);
  ~RasterWindows();
  RasterWindows(const RasterWindows&) = delete;
  RasterWindows& operator=(const RasterWindows&) = delete;
  const Raster& info() const { return info_; }
  // (bands, h, w) float64 of the window with top-left (x, y), inside the raster.
  std::vector<double> read(int x, int y, int w, int h) const;

 private:
  Raster info_;
  void* dataset_ = nullptr;  // GDALDatasetH
  std::string what_;
};

class ClassMapWriter {
 public:
  // Creates `path` (GeoTIFF, deflate) with `grid`'s size, CRS and geotransform.
  ClassMapWriter(const std::string& path, const Raster& grid, uint8_t nodata);
  ~ClassMapWriter();
  ClassMapWriter(const ClassMapWriter&) = delete;
  ClassMapWriter& operator=(const ClassMapWriter&) = delete;
  // Rows [y, y + h) of the map, (h, width) row-major.
  void write_rows(int y, int h, const uint8_t* rows);
  // Flushes and closes (IoError on failure); the destructor closes without reporting.
  void close();

 private:
  std::string path_;
  int width_ = 0;
  void* dataset_ = nullptr;
};

// "" when `b` lies on `a`'s grid (same size, CRS and geotransform within 1e-3 pixel), else what
// differs, naming both files.
std::string georeference_mismatch(const Raster& a, const Raster& b);

}  // namespace cromss::data
