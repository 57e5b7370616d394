// GDAL implementation of data/raster_reader.h: rasters as float64 per band (GDALDatasetRasterIO
// for a multi-band file; GDALRasterIOEx with a floating-point source window and cubic resampling
// for per-band files of a coarser grid); nodata is the band's GDAL nodata value (or NaN); the CRS
// as GDAL's WKT and the geotransform.
#include "data/raster_reader.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"

namespace cromss::data {

namespace {

void register_gdal() {
  static const bool registered = [] {
    GDALAllRegister();
    // GDAL's default block cache is 5 % of RAM and fills up even though ingest and predict read
    // each block about once; 256 MB holds a row of 264-px windows of a striped 10980-wide
    // 13-band S2 scene for 3 readers.
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(int64_t{256} << 20);
    return true;
  }();
  (void)registered;
}

// Opens `path` and fills everything of Raster but data; IoError (with GDAL's message) on failure.
GDALDatasetH open_raster(const std::string& path, int want_bands, const char* what, Raster& r) {
  register_gdal();
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  const std::string why = CPLGetLastErrorMsg();
  CPLPopErrorHandler();
  if (!ds) CROMSS_THROW(IoError, "{} raster {}: GDAL cannot open it ({})", what, path, why);
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

void check_window(const Raster& r, const char* what, int x, int y, int w, int h) {
  CROMSS_CHECK(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= r.width && y + h <= r.height,
               "{} raster {}: window ({}, {}) {}x{} outside its {}x{} pixels", what, r.path, x, y,
               w, h, r.width, r.height);
}

void read_window(GDALDatasetH ds, const Raster& r, const char* what, int x, int y, int w, int h,
                 double* out) {
  check_window(r, what, x, y, w, h);
  if (GDALDatasetRasterIO(ds, GF_Read, x, y, w, h, out, w, h, GDT_Float64, r.bands, nullptr, 0, 0,
                          0) != CE_None)
    CROMSS_THROW(IoError, "{} raster {}: reading the window ({}, {}) {}x{} failed: {}", what,
                 r.path, x, y, w, h, CPLGetLastErrorMsg());
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

RasterWindows::RasterWindows(const std::string& path, int want_bands, const char* what,
                             const std::vector<std::string>& band_files)
    : what_(what) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(path)) {
    datasets_.push_back(open_raster(path, want_bands, what, info_));
    return;
  }
  try {
    CROMSS_CHECK(!band_files.empty(), "{} raster {}: a directory, but {} has no per-band files",
                 what, path, what);
    std::vector<Raster> bands(band_files.size());
    size_t finest = 0;
    for (size_t b = 0; b < band_files.size(); ++b) {
      const std::string file = (fs::path(path) / (band_files[b] + ".tif")).string();
      if (!fs::exists(file))
        CROMSS_THROW(IoError, "{} raster {}: band file {}.tif is missing", what, path,
                     band_files[b]);
      datasets_.push_back(open_raster(file, 1, what, bands[b]));
      if (bands[b].width > bands[finest].width) finest = b;
    }
    info_ = bands[finest];
    info_.path = path;
    info_.bands = static_cast<int>(bands.size());
    info_.has_nodata.clear();
    info_.nodata.clear();
    for (const auto& b : bands) {
      if (const std::string why = extent_mismatch(bands[finest], b); !why.empty())
        CROMSS_THROW(IoError, "{} bands must cover the same ground: {}", what, why);
      info_.has_nodata.push_back(b.has_nodata[0]);
      info_.nodata.push_back(b.nodata[0]);
    }
    if (want_bands > 0 && info_.bands != want_bands)
      CROMSS_THROW(IoError, "{} raster {}: {} bands, expected {}", what, path, info_.bands,
                   want_bands);
  } catch (...) {
    for (void* ds : datasets_) GDALClose(ds);
    datasets_.clear();
    throw;
  }
}

RasterWindows::~RasterWindows() {
  for (void* ds : datasets_) GDALClose(ds);
}

std::vector<double> RasterWindows::read(int x, int y, int w, int h) const {
  std::vector<double> out(static_cast<size_t>(info_.bands) * w * h);
  if (datasets_.size() == 1) {
    read_window(datasets_[0], info_, what_.c_str(), x, y, w, h, out.data());
    return out;
  }
  check_window(info_, what_.c_str(), x, y, w, h);
  const size_t hw = static_cast<size_t>(w) * h;
  for (size_t b = 0; b < datasets_.size(); ++b) {
    GDALRasterBandH band = GDALGetRasterBand(datasets_[b], 1);
    const double sx = static_cast<double>(GDALGetRasterBandXSize(band)) / info_.width;
    const double sy = static_cast<double>(GDALGetRasterBandYSize(band)) / info_.height;
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.eResampleAlg = GRIORA_Cubic;
    extra.bFloatingPointWindowValidity = TRUE;
    extra.dfXOff = x * sx;
    extra.dfYOff = y * sy;
    extra.dfXSize = w * sx;
    extra.dfYSize = h * sy;
    const int ix = static_cast<int>(extra.dfXOff), iy = static_cast<int>(extra.dfYOff);
    const int iw = std::max(1, static_cast<int>(std::ceil(extra.dfXOff + extra.dfXSize)) - ix);
    const int ih = std::max(1, static_cast<int>(std::ceil(extra.dfYOff + extra.dfYSize)) - iy);
    if (GDALRasterIOEx(band, GF_Read, ix, iy, iw, ih, out.data() + b * hw, w, h, GDT_Float64, 0, 0,
                       &extra) != CE_None)
      CROMSS_THROW(IoError, "{} raster {}: reading band {} at ({}, {}) failed: {}", what_,
                   info_.path, b + 1, x, y, CPLGetLastErrorMsg());
  }
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
