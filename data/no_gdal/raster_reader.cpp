// data/raster_reader.h for builds without GDAL (-DCROMSS_GDAL=OFF, e.g. a lean bundle for a GPU
// cluster): every read is an error that names the raster and the build option.
#include "data/raster_reader.h"

#include "core/error.h"

namespace cromss::data {

namespace {

[[noreturn]] void no_gdal(const std::string& what, const std::string& path) {
  CROMSS_THROW(IoError,
               "{} raster {}: this cromss was built without GDAL (-DCROMSS_GDAL=OFF); "
               "rebuild with -DCROMSS_GDAL=ON to read or write GeoTIFFs",
               what, path);
}

}  // namespace

Raster read_raster(const std::string& path, int, const char* what) {
  no_gdal(what, path);
}

RasterWindows::RasterWindows(const std::string& path, int, const char* what,
                             const std::vector<std::string>&) {
  no_gdal(what, path);
}

RasterWindows::~RasterWindows() = default;

std::vector<double> RasterWindows::read(int, int, int, int) const {
  no_gdal(what_, info_.path);
}

ClassMapWriter::ClassMapWriter(const std::string& path, const Raster&, uint8_t) {
  no_gdal("output", path);
}

ClassMapWriter::~ClassMapWriter() = default;

void ClassMapWriter::write_rows(int, int, const uint8_t*) {
  no_gdal("output", path_);
}

void ClassMapWriter::close() {}

}  // namespace cromss::data
