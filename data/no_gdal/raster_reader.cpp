// data/raster_reader.h for builds without GDAL (-DCROMSS_GDAL=OFF, e.g. a lean bundle for a GPU
// cluster): every read is an error that names the raster and the build option.
#include "data/raster_reader.h"

#include "core/error.h"

namespace cromss::data {

Raster read_raster(const std::string& path, int, const char* what) {
  CROMSS_THROW(IoError,
               "{} raster {}: this cromss was built without GDAL (-DCROMSS_GDAL=OFF); "
               "rebuild with -DCROMSS_GDAL=ON to ingest GeoTIFFs",
               what, path);
}

}  // namespace cromss::data
