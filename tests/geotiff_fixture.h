// GeoTIFF fixtures for the ingest tests, cut at test time with GDAL from the committed
// Sen1Floods11 chip (tests/fixtures/sen1floods11): windows and band subsets (gdal_translate
// options) and copies whose georeferencing a callback edits.
#pragma once

#include <gdal.h>
#include <gdal_utils.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace cromss::test {

inline const std::string kSen1Floods11Chip =
    std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/sen1floods11/Spain_7370579_";

// gdal_translate src dst <args>, e.g. {"-srcwin", "0", "0", "64", "64"}; returns dst.
inline std::string gdal_translate(const std::string& src, const std::filesystem::path& dst,
                                  std::vector<std::string> args) {
  GDALAllRegister();
  std::filesystem::create_directories(dst.parent_path());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALTranslateOptions* opt = GDALTranslateOptionsNew(argv.data(), nullptr);
  GDALDatasetH in = GDALOpen(src.c_str(), GA_ReadOnly);
  int failed = 0;
  GDALDatasetH out = GDALTranslate(dst.c_str(), in, opt, &failed);
  EXPECT_TRUE(out != nullptr && !failed) << "gdal_translate " << src << " " << dst;
  if (out) GDALClose(out);
  GDALClose(in);
  GDALTranslateOptionsFree(opt);
  return dst.string();
}

// A copy of `src` whose georeferencing `edit` changes (GDAL writes it).
inline std::string edited_copy(const std::string& src, const std::filesystem::path& dst,
                               const std::function<void(GDALDatasetH)>& edit) {
  GDALAllRegister();
  GDALDatasetH in = GDALOpen(src.c_str(), GA_ReadOnly);
  GDALDatasetH out = GDALCreateCopy(GDALGetDriverByName("GTiff"), dst.c_str(), in, FALSE, nullptr,
                                    nullptr, nullptr);
  edit(out);
  GDALClose(out);
  GDALClose(in);
  return dst.string();
}

inline void shift_east(GDALDatasetH ds, double pixels) {
  double gt[6];
  GDALGetGeoTransform(ds, gt);
  gt[0] += pixels * gt[1];
  GDALSetGeoTransform(ds, gt);
}

}  // namespace cromss::test
