// GeoTIFF access through GDAL (data/raster_reader.cpp; a build with -DCROMSS_GDAL=OFF links
// data/no_gdal/raster_reader.cpp instead, whose functions name the missing option):
// * read_raster: a whole (small) raster: every band as float64 with its nodata value, and the
//   georeferencing (CRS, geotransform);
// * RasterWindows: the same metadata without reading pixels, and windowed reads, so memory stays
//   bounded by the window whatever the scene size (GDAL reads only the blocks a window touches):
//   GeoTIFF ingest (data/ingest_tiles.cpp) and `cromss predict` on a 10980 x 10980 S2 tile. A
//   source is one multi-band file or a directory of one file per band (the SSL4EO-S12 release:
//   B1.tif .. B12.tif, VV.tif, VH.tif); bands of a coarser grid (20 m, 60 m) are resampled
//   (cubic) onto the grid of the finest band, whose georeferencing info() reports;
// * ClassMapWriter: a single-band uint8 GeoTIFF on another raster's grid (size, CRS,
//   geotransform) with a nodata value, written block of rows by block of rows.
// GDAL's block cache is capped at 256 MB unless GDAL_CACHEMAX is set; GDAL's messages go into
// the IoErrors instead of stderr.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cromss::data {

struct Raster {
  std::string path;
  int bands = 0, height = 0, width = 0;
  std::vector<double> data;       // (bands, H, W); empty for RasterWindows::info()
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
  // `path`: a GeoTIFF, or a directory holding `band_files` (names without ".tif", in band order).
  // want_bands > 0 requires that many bands (IoError naming `what`, the file and both counts).
  RasterWindows(const std::string& path, int want_bands, const char* what,
                const std::vector<std::string>& band_files = {});
  ~RasterWindows();
  RasterWindows(const RasterWindows&) = delete;
  RasterWindows& operator=(const RasterWindows&) = delete;
  const Raster& info() const { return info_; }
  // (bands, h, w) float64 of the window with top-left (x, y), inside the raster.
  std::vector<double> read(int x, int y, int w, int h) const;

 private:
  Raster info_;
  std::vector<void*> datasets_;  // GDALDatasetH: one, or one per band
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

// "" when `b` covers the same ground as `a` (same CRS, origin and extent within 1e-3 of a's pixel;
// the pixel size may differ): the test for the bands of one per-band directory.
std::string extent_mismatch(const Raster& a, const Raster& b);

}  // namespace cromss::data
