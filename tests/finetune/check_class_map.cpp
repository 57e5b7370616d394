// cromss_class_map_check MAP.tif INPUT.tif N_CLASSES: checks a `cromss predict` class map against
// the scene it was predicted from, without Python or the GDAL command-line tools (the end-to-end
// test, tests/finetune/finetune_test.sh): one band, the input's grid (size, CRS, geotransform; the
// same check as the S1/S2 agreement in predict), nodata 255, and every pixel a class id in
// [0, N_CLASSES) or 255. Prints the class histogram; exit 0 when all hold, 1 with the first
// failure named.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/raster_reader.h"

int main(int argc, char** argv) {
  using namespace cromss;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MAP.tif INPUT.tif N_CLASSES\n", argv[0]);
    return 2;
  }
  const int n_classes = std::atoi(argv[3]);
  try {
    const data::Raster map = data::read_raster(argv[1], 1, "class map");
    const data::Raster input = data::read_raster(argv[2], 0, "input");
    const std::string mismatch = data::georeference_mismatch(input, map);
    if (!mismatch.empty()) {
      std::fprintf(stderr, "FAIL: %s\n", mismatch.c_str());
      return 1;
    }
    if (!map.has_nodata[0] || map.nodata[0] != 255) {
      std::fprintf(stderr, "FAIL: %s: nodata is not 255\n", argv[1]);
      return 1;
    }
    std::vector<long> histogram(256, 0);
    for (const double v : map.data) {
      const int id = static_cast<int>(v);
      if (id != v || id < 0 || (id >= n_classes && id != 255)) {
        std::fprintf(stderr, "FAIL: %s holds %g, expected a class id in [0, %d) or 255\n", argv[1],
                     v, n_classes);
        return 1;
      }
      ++histogram[id];
    }
    std::printf("%s: %d x %d on the grid of %s; pixels per class:", argv[1], map.width, map.height,
                argv[2]);
    for (int id = 0; id < 256; ++id)
      if (histogram[id] > 0) std::printf(" %d:%ld", id, histogram[id]);
    std::printf("\n");
  } catch (const Error& e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    return 1;
  }
  return 0;
}
