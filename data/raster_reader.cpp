// GDAL implementation of data/raster_reader.h: the whole raster as float64 per band; nodata is the
// band's GDAL nodata value (or NaN); the CRS as GDAL's WKT and the geotransform.
#include "data/raster_reader.h"

#include <gdal.h>

#include "core/error.h"

namespace cromss::data {

Raster read_raster(const std::string& path, int want_bands, const char* what) {
  static const bool registered = [] {
    GDALAllRegister();
    return true;
  }();
  (void)registered;
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  if (!ds) CROMSS_THROW(IoError, "{} raster {}: GDAL cannot open it", what, path);
  Raster r;
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
  const size_t hw = static_cast<size_t>(r.height) * r.width;
  r.data.resize(r.bands * hw);
  for (int b = 0; b < r.bands; ++b) {
    GDALRasterBandH band = GDALGetRasterBand(ds, b + 1);
    int ok = 0;
    const double nd = GDALGetRasterNoDataValue(band, &ok);
    r.has_nodata.push_back(ok != 0);
    r.nodata.push_back(nd);
    if (GDALRasterIO(band, GF_Read, 0, 0, r.width, r.height, r.data.data() + b * hw, r.width,
                     r.height, GDT_Float64, 0, 0) != CE_None) {
      GDALClose(ds);
      CROMSS_THROW(IoError, "{} raster {}: reading band {} failed", what, path, b + 1);
    }
  }
  GDALClose(ds);
  return r;
}

}  // namespace cromss::data
