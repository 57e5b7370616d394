// Windowed GeoTIFF reads for ingest (data/ingest.cpp): a raster source is opened once, its
// georeferencing (size, CRS, geotransform, per-band nodata) is known without reading pixels, and
// pixels are read one window at a time as float64 (bands, h, w), so memory stays bounded by the
// window whatever the scene size (GDAL reads only the blocks the window touches).
// A source is one multi-band file or a directory of one file per band (the SSL4EO-S12 release:
// B1.tif .. B12.tif, VV.tif, VH.tif); bands of a coarser grid (20 m, 60 m) are resampled (cubic)
// onto the grid of the finest band, whose georeferencing the source reports.
// GDAL does the reading (data/raster_reader.cpp); a build with -DCROMSS_GDAL=OFF links
// data/no_gdal/raster_reader.cpp instead, whose open names the missing option.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace cromss::data {

struct RasterInfo {
  std::string path;
  int bands = 0, height = 0, width = 0;
  std::vector<bool> has_nodata;   // per band
  std::vector<double> nodata;     // per band
  std::string crs_wkt;            // "" when the raster has no CRS
  bool has_geotransform = false;  // GDAL geotransform: x0, dx, rx, y0, ry, dy
  double geotransform[6] = {0, 1, 0, 0, 0, 1};
  bool is_nodata(int b, double v) const {
    return std::isnan(v) || (has_nodata[b] && v == nodata[b]);
  }
};

class RasterSource {
 public:
  // `path`: a GeoTIFF, or a directory holding `band_files` (names without ".tif", in band order).
  // want_bands > 0 requires that many bands; `what` ("S1", "label") names the raster in errors.
  RasterSource(const std::string& path, int want_bands, const char* what,
               const std::vector<std::string>& band_files = {});
  ~RasterSource();
  RasterSource(const RasterSource&) = delete;
  RasterSource& operator=(const RasterSource&) = delete;

  const RasterInfo& info() const { return info_; }
  // Reads rows y0..y0+h-1, columns x0..x0+w-1 of every band into out (bands * h * w).
  void read(int y0, int x0, int h, int w, double* out) const;

 private:
  RasterInfo info_;
  std::string what_;
  std::vector<void*> datasets_;  // GDALDatasetH: one, or one per band
};

// "" when `b` lies on `a`'s grid (same size, CRS and geotransform within 1e-3 pixel), else what
// differs, naming both files.
std::string georeference_mismatch(const RasterInfo& a, const RasterInfo& b);

// "" when `b` covers the same ground as `a` (same CRS, origin and extent within 1e-3 of a's pixel;
// the pixel size may differ): the test for the bands of one per-band directory.
std::string extent_mismatch(const RasterInfo& a, const RasterInfo& b);

}  // namespace cromss::data
