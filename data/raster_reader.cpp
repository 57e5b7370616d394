// GDAL implementation of data/raster_reader.h: windowed float64 reads (GDALDatasetRasterIO for a
// multi-band file, GDALRasterIO with a floating-point source window and cubic resampling for
// per-band files of a coarser grid); nodata is the band's GDAL nodata value (or NaN).
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

GDALDatasetH open_dataset(const std::string& path, const char* what) {
  static const bool registered = [] {
    GDALAllRegister();
    // GDAL's default block cache is 5 % of RAM and fills up even though ingest reads each block
    // about once; 256 MB holds a row of tiles of a striped 10980-wide S2 scene for 3 readers.
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(int64_t{256} << 20);
    return true;
  }();
  (void)registered;
  // GDAL's message goes into the IoError instead of its default handler's stderr line.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  const std::string why = CPLGetLastErrorMsg();
  CPLPopErrorHandler();
  if (!ds) CROMSS_THROW(IoError, "{} raster {}: GDAL cannot open it ({})", what, path, why);
  return ds;
}

RasterInfo describe(GDALDatasetH ds, const std::string& path) {
  RasterInfo r;
  r.path = path;
  r.bands = GDALGetRasterCount(ds);
  r.height = GDALGetRasterYSize(ds);
  r.width = GDALGetRasterXSize(ds);
  if (const char* wkt = GDALGetProjectionRef(ds)) r.crs_wkt = wkt;
  r.has_geotransform = GDALGetGeoTransform(ds, r.geotransform) == CE_None;
  for (int b = 0; b < r.bands; ++b) {
    int ok = 0;
    const double nd = GDALGetRasterNoDataValue(GDALGetRasterBand(ds, b + 1), &ok);
    r.has_nodata.push_back(ok != 0);
    r.nodata.push_back(nd);
  }
  return r;
}

}  // namespace

RasterSource::RasterSource(const std::string& path, int want_bands, const char* what,
                           const std::vector<std::string>& band_files)
    : what_(what) {
  namespace fs = std::filesystem;
  try {
    if (!fs::is_directory(path)) {
      datasets_.push_back(open_dataset(path, what));
      info_ = describe(datasets_[0], path);
    } else {
      CROMSS_CHECK(!band_files.empty(), "{} raster {}: a directory, but {} has no per-band files",
                   what, path, what);
      std::vector<RasterInfo> bands;
      size_t finest = 0;
      for (const auto& name : band_files) {
        const std::string file = (fs::path(path) / (name + ".tif")).string();
        if (!fs::exists(file))
          CROMSS_THROW(IoError, "{} raster {}: band file {}.tif is missing", what, path, name);
        datasets_.push_back(open_dataset(file, what));
        bands.push_back(describe(datasets_.back(), file));
        if (bands.back().bands != 1)
          CROMSS_THROW(IoError, "{} band file {}: {} bands, expected 1", what, file,
                       bands.back().bands);
        if (bands.back().width > bands[finest].width) finest = bands.size() - 1;
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
    }
    if (want_bands > 0 && info_.bands != want_bands)
      CROMSS_THROW(IoError, "{} raster {}: {} bands, expected {}", what, path, info_.bands,
                   want_bands);
  } catch (...) {
    for (void* ds : datasets_) GDALClose(ds);
    throw;
  }
}

RasterSource::~RasterSource() {
  for (void* ds : datasets_) GDALClose(ds);
}

void RasterSource::read(int y0, int x0, int h, int w, double* out) const {
  const size_t hw = static_cast<size_t>(h) * w;
  if (datasets_.size() == 1) {
    if (GDALDatasetRasterIO(datasets_[0], GF_Read, x0, y0, w, h, out, w, h, GDT_Float64,
                            info_.bands, nullptr, 0, 0, 0) != CE_None)
      CROMSS_THROW(IoError, "{} raster {}: reading the window at row {}, column {} ({}x{}) failed",
                   what_, info_.path, y0, x0, h, w);
    return;
  }
  for (size_t b = 0; b < datasets_.size(); ++b) {
    GDALRasterBandH band = GDALGetRasterBand(datasets_[b], 1);
    const double sy = static_cast<double>(GDALGetRasterBandYSize(band)) / info_.height;
    const double sx = static_cast<double>(GDALGetRasterBandXSize(band)) / info_.width;
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.eResampleAlg = GRIORA_Cubic;
    extra.bFloatingPointWindowValidity = TRUE;
    extra.dfXOff = x0 * sx;
    extra.dfYOff = y0 * sy;
    extra.dfXSize = w * sx;
    extra.dfYSize = h * sy;
    const int ix = static_cast<int>(extra.dfXOff), iy = static_cast<int>(extra.dfYOff);
    const int iw = std::max(1, static_cast<int>(std::ceil(extra.dfXOff + extra.dfXSize)) - ix);
    const int ih = std::max(1, static_cast<int>(std::ceil(extra.dfYOff + extra.dfYSize)) - iy);
    if (GDALRasterIOEx(band, GF_Read, ix, iy, iw, ih, out + b * hw, w, h, GDT_Float64, 0, 0,
                       &extra) != CE_None)
      CROMSS_THROW(IoError, "{} raster {}: reading band {} at row {}, column {} failed", what_,
                   info_.path, b + 1, y0, x0);
  }
}

}  // namespace cromss::data
