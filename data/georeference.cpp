// Georeference comparisons of data/raster_reader.h (no GDAL needed: they compare what the reader
// recorded), shared by GDAL and no-GDAL builds.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "data/raster_reader.h"

namespace cromss::data {
namespace {

std::string crs_mismatch(const Raster& a, const Raster& b) {
  if (a.crs_wkt != b.crs_wkt)
    return fmt::format("{} has CRS '{}' but {} has '{}'", b.path, b.crs_wkt.substr(0, 60), a.path,
                       a.crs_wkt.substr(0, 60));
  if (a.has_geotransform != b.has_geotransform)
    return fmt::format("{} {} a geotransform but {} {}", b.path,
                       b.has_geotransform ? "has" : "lacks", a.path,
                       a.has_geotransform ? "has one" : "does not");
  return "";
}

double pixel_size(const Raster& a) {
  return std::max(std::abs(a.geotransform[1]), std::abs(a.geotransform[5]));
}

}  // namespace

std::string georeference_mismatch(const Raster& a, const Raster& b) {
  if (a.height != b.height || a.width != b.width)
    return fmt::format("{} is {}x{} pixels but {} is {}x{}", b.path, b.height, b.width, a.path,
                       a.height, a.width);
  if (std::string why = crs_mismatch(a, b); !why.empty() || !a.has_geotransform) return why;
  const double pixel = pixel_size(a);
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

std::string extent_mismatch(const Raster& a, const Raster& b) {
  if (std::string why = crs_mismatch(a, b); !why.empty() || !a.has_geotransform) return why;
  const double tol = 1e-3 * pixel_size(a);
  const double a_end[2] = {a.geotransform[0] + a.width * a.geotransform[1],
                           a.geotransform[3] + a.height * a.geotransform[5]};
  const double b_end[2] = {b.geotransform[0] + b.width * b.geotransform[1],
                           b.geotransform[3] + b.height * b.geotransform[5]};
  if (std::abs(a.geotransform[0] - b.geotransform[0]) > tol ||
      std::abs(a.geotransform[3] - b.geotransform[3]) > tol ||
      std::abs(a_end[0] - b_end[0]) > tol || std::abs(a_end[1] - b_end[1]) > tol ||
      a.geotransform[2] != b.geotransform[2] || a.geotransform[4] != b.geotransform[4])
    return fmt::format("{} covers ({}, {})..({}, {}) but {} covers ({}, {})..({}, {})", b.path,
                       b.geotransform[0], b.geotransform[3], b_end[0], b_end[1], a.path,
                       a.geotransform[0], a.geotransform[3], a_end[0], a_end[1]);
  return "";
}

}  // namespace cromss::data
