// Georeference comparison of data/raster_reader.h (no GDAL needed: it compares what the reader
// recorded), shared by GDAL and no-GDAL builds.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "data/raster_reader.h"

namespace cromss::data {

std::string georeference_mismatch(const Raster& a, const Raster& b) {
  if (a.height != b.height || a.width != b.width)
    return fmt::format("{} is {}x{} pixels but {} is {}x{}", b.path, b.height, b.width, a.path,
                       a.height, a.width);
  if (a.crs_wkt != b.crs_wkt)
    return fmt::format("{} has CRS '{}' but {} has '{}'", b.path, b.crs_wkt.substr(0, 60), a.path,
                       a.crs_wkt.substr(0, 60));
  if (a.has_geotransform != b.has_geotransform)
    return fmt::format("{} {} a geotransform but {} {}", b.path,
                       b.has_geotransform ? "has" : "lacks", a.path,
                       a.has_geotransform ? "has one" : "does not");
  if (!a.has_geotransform) return "";
  const double pixel = std::max(std::abs(a.geotransform[1]), std::abs(a.geotransform[5]));
  for (int i = 0; i < 6; ++i) {
    const bool origin = i == 0 || i == 3;
    const double tol = 1e-3 * (origin ? pixel : std::max(pixel, 1e-12));
    if (std::abs(a.geotransform[i] - b.geotransform[i]) > tol)
      return fmt::format("{} has geotransform ({}) but {} has ({}): not on the same pixel grid",
                         b.path, fmt::join(b.geotransform, ", "), a.path,
                         fmt::join(a.geotransform, ", "));
  }
  return "";
}

}  // namespace cromss::data
