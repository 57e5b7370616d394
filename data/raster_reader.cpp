// GDAL implementation of data/raster_reader.h: rasters as float64 per band; nodata is the band's
// GDAL nodata value (or NaN); the CRS as GDAL's WKT and the geotransform.
#include "data/raster_reader.h"

#include <cpl_error.h>
#include <gdal.h>

#include "core/error.h"

namespace cromss::data {

namespace {

void register_gdal() {
  static const bool registered = [] {
    GDALAllRegister();
    return true;
  }();
  (void)registered;
}

// Opens `path` and fills everything of Raster but data; IoError on failure.
GDALDatasetH open_raster(const std::string& path, int want_bands, const char* what, Raster& r) {
  register_gdal();
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  if (!ds) CROMSS_THROW(IoError, "{} raster {}: GDAL cannot open it", what, path);
  r.path = path;
  r.bands = GDALGetRasterCount(ds);
  r.height = GDALGetRasterYSize(ds);
  r.width = GDALGetRasterXSize(ds);
  if (const char* wkt = GDALGetProjectionRef(ds)) r.crs_wkt = wkt;
  r.has_geotransform = GDALGetGeoTransform(ds, r.geotransform) == CE_None;
  if (want_bands > 0 && r.bands != want_bands) {
    GDALClose(ds);
    CROMSS_THROW(IoError, "{} raster {}: {} bands, expected {}", what, path, r.bands, want_bands);
  }
  for (int b = 0; b < r.bands; ++b) {
    int ok = 0;
    const double nd = GDALGetRasterNoDataValue(GDALGetRasterBand(ds, b + 1), &ok);
    r.has_nodata.push_back(ok != 0);
    r.nodata.push_back(nd);
  }
  return ds;
}

void read_window(GDALDatasetH ds, const Raster& r, const char* what, int x, int y, int w, int h,
                 double* out) {
  CROMSS_CHECK(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= r.width && y + h <= r.height,
               "{} raster {}: window ({}, {}) {}x{} outside its {}x{} pixels", what, r.path, x, y,
               w, h, r.width, r.height);
  const size_t hw = static_cast<size_t>(w) * h;
  for (int b = 0; b < r.bands; ++b)
    if (GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Read, x, y, w, h, out + b * hw, w, h,
                     GDT_Float64, 0, 0) != CE_None)
      CROMSS_THROW(IoError, "{} raster {}: reading band {} failed", what, r.path, b + 1);
}

}  // namespace

Raster read_raster(const std::string& path, int want_bands, const char* what) {
  Raster r;
  GDALDatasetH ds = open_raster(path, want_bands, what, r);
  r.data.resize(static_cast<size_t>(r.bands) * r.height * r.width);
  try {
    read_window(ds, r, what, 0, 0, r.width, r.height, r.data.data());
  } catch (...) {
    GDALClose(ds);
    throw;
  }
  GDALClose(ds);
  return r;
}

RasterWindows::RasterWindows(const std::string& path, int want_bands, const char* what)
    : what_(what) {
  dataset_ = open_raster(path, want_bands, what, info_);
}

RasterWindows::~RasterWindows() {
  if (dataset_) GDALClose(static_cast<GDALDatasetH>(dataset_));
}

std::vector<double> RasterWindows::read(int x, int y, int w, int h) const {
  std::vector<double> out(static_cast<size_t>(info_.bands) * w * h);
  read_window(static_cast<GDALDatasetH>(dataset_), info_, what_.c_str(), x, y, w, h, out.data());
  return out;
}

ClassMapWriter::ClassMapWriter(const std::string& path, const Raster& grid, uint8_t nodata)
    : path_(path), width_(grid.width) {
  register_gdal();
  GDALDriverH driver = GDALGetDriverByName("GTiff");
  CROMSS_CHECK(driver != nullptr, "{}: GDAL has no GTiff driver", path);
  const char* options[] = {"COMPRESS=DEFLATE", "TILED=YES", nullptr};
  GDALDatasetH ds = GDALCreate(driver, path.c_str(), grid.width, grid.height, 1, GDT_Byte,
                               const_cast<char**>(options));
  if (!ds) CROMSS_THROW(IoError, "{}: GDAL cannot create the GeoTIFF", path);
  dataset_ = ds;
  if (!grid.crs_wkt.empty()) GDALSetProjection(ds, grid.crs_wkt.c_str());
  if (grid.has_geotransform) {
    double gt[6];
    std::copy(grid.geotransform, grid.geotransform + 6, gt);
    GDALSetGeoTransform(ds, gt);
  }
  GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1), nodata);
}

ClassMapWriter::~ClassMapWriter() {
  if (dataset_) GDALClose(static_cast<GDALDatasetH>(dataset_));
}

void ClassMapWriter::write_rows(int y, int h, const uint8_t* rows) {
  CROMSS_CHECK(dataset_ != nullptr, "{}: already closed", path_);
  if (GDALRasterIO(GDALGetRasterBand(static_cast<GDALDatasetH>(dataset_), 1), GF_Write, 0, y,
                   width_, h, const_cast<uint8_t*>(rows), width_, h, GDT_Byte, 0, 0) != CE_None)
    CROMSS_THROW(IoError, "{}: writing rows {}..{} failed", path_, y, y + h - 1);
}

void ClassMapWriter::close() {
  if (!dataset_) return;
  GDALDatasetH ds = static_cast<GDALDatasetH>(dataset_);
  dataset_ = nullptr;
  GDALFlushCache(ds);
  const bool failed = CPLGetLastErrorType() == CE_Failure;
  GDALClose(ds);
  if (failed)
    CROMSS_THROW(IoError, "{}: writing the GeoTIFF failed: {}", path_, CPLGetLastErrorMsg());
}

}  // namespace cromss::data
