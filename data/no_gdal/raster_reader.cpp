// data/raster_reader.h for builds without GDAL (-DCROMSS_GDAL=OFF, e.g. a lean bundle for a GPU
// cluster): opening a raster is an error that names the raster and the build option.
#include "data/raster_reader.h"

#include "core/error.h"

namespace cromss::data {

RasterSource::RasterSource(const std::string& path, int, const char* what,
                           const std::vector<std::string>&) {
  CROMSS_THROW(IoError,
               "{} raster {}: this cromss was built without GDAL (-DCROMSS_GDAL=OFF); "
               "rebuild with -DCROMSS_GDAL=ON to ingest GeoTIFFs",
               what, path);
}

RasterSource::~RasterSource() = default;

void RasterSource::read(int, int, int, int, double*) const {}

}  // namespace cromss::data
