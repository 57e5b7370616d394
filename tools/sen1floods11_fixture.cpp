// Writes tests/fixtures/sen1floods11/: a 128x128 window (rows 256..383, columns 384..511, a window
// with some of the chip's -1 nodata label pixels) of the real Sen1Floods11 sample chip
// Spain_7370579 (S1Hand, S2Hand, LabelHand; see the fixture's README.md for the source), cut with
// GDAL (georeferencing, band types and nodata kept; DEFLATE), and prints the cut label's class
// counts, which tests/cpu/data_ingest_test.cpp expects. Run once by hand:
//   g++ -std=c++20 tools/sen1floods11_fixture.cpp $(gdal-config --cflags --libs) -o /tmp/cut
//   /tmp/cut SRC_DIR tests/fixtures/sen1floods11
#include <gdal.h>
#include <gdal_utils.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SRC_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  GDALAllRegister();
  const std::string src = argv[1], out = argv[2];
  for (const char* kind : {"S1Hand", "S2Hand", "LabelHand"}) {
    const std::string name = std::string("Spain_7370579_") + kind + ".tif";
    GDALDatasetH in = GDALOpen((src + "/" + name).c_str(), GA_ReadOnly);
    if (!in) {
      std::fprintf(stderr, "cannot open %s/%s\n", src.c_str(), name.c_str());
      return 1;
    }
    const bool is_float = GDALGetRasterDataType(GDALGetRasterBand(in, 1)) == GDT_Float32;
    std::vector<std::string> args = {"-srcwin",
                                     "384",
                                     "256",
                                     "128",
                                     "128",
                                     "-co",
                                     "COMPRESS=DEFLATE",
                                     "-co",
                                     "ZLEVEL=9",
                                     "-co",
                                     is_float ? "PREDICTOR=3" : "PREDICTOR=2"};
    std::vector<char*> argv_opts;
    for (auto& a : args) argv_opts.push_back(a.data());
    argv_opts.push_back(nullptr);
    GDALTranslateOptions* opts = GDALTranslateOptionsNew(argv_opts.data(), nullptr);
    int err = 0;
    GDALDatasetH cut = GDALTranslate((out + "/" + name).c_str(), in, opts, &err);
    GDALTranslateOptionsFree(opts);
    if (!cut || err) return 1;
    if (std::string(kind) == "LabelHand") {
      std::vector<double> v(128 * 128);
      if (GDALRasterIO(GDALGetRasterBand(cut, 1), GF_Read, 0, 0, 128, 128, v.data(), 128, 128,
                       GDT_Float64, 0, 0) != CE_None)
        return 1;
      std::map<double, long> counts;
      for (double x : v) ++counts[x];
      for (const auto& [value, n] : counts) std::printf("label %g: %ld pixels\n", value, n);
    }
    GDALClose(cut);
    GDALClose(in);
  }
  return 0;
}
