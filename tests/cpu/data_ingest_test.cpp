// GeoTIFF ingest of the real Sen1Floods11 chip (../shared/data/sen1floods11, 512x512) as a 2-class
// downstream dataset (not water, water; -1 nodata ignored) and in the pretraining format, read
// back through the upstream-format readers.
#include <gtest/gtest.h>

#include <gdal.h>

#include <filesystem>

#include "core/error.h"
#include "data/ingest.h"
#include "data/inspect.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;
const std::string kChip = std::string(CROMSS_SHARED_DIR) + "/data/sen1floods11/Spain_7370579_";

struct Out {
  fs::path dir = fs::temp_directory_path() / fmt::format("cromss_ingest_{}", ::getpid());
  Out() { fs::remove_all(dir); }
  ~Out() { fs::remove_all(dir); }
};

IngestOptions chip_options(const Out& out, const std::string& format) {
  if (!fs::exists(kChip + "S1Hand.tif")) return {};
  IngestOptions o;
  o.s1 = {kChip + "S1Hand.tif"};
  o.s2 = {kChip + "S2Hand.tif"};
  o.label = {kChip + "LabelHand.tif"};
  o.out_dir = out.dir.string();
  o.format = format;
  o.tile = 256;
  o.label_map = "-1:ignore,0:0,1:1";
  return o;
}

double gdal_pixel(const std::string& path, int band, int y, int x) {
  GDALAllRegister();
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  double v = 0;
  EXPECT_EQ(
      GDALRasterIO(GDALGetRasterBand(ds, band), GF_Read, x, y, 1, 1, &v, 1, 1, GDT_Float64, 0, 0),
      CE_None);
  GDALClose(ds);
  return v;
}

TEST(DataIngest, Sen1Floods11ChipAsTwoClassDownstream) {
  Out out;
  const IngestOptions o = chip_options(out, "DW");
  if (o.s1.empty()) GTEST_SKIP() << "sen1floods11 chip not found at " << kChip;
  const IngestReport r = ingest_geotiffs(o);
  EXPECT_EQ(r.tiles_written, 4);
  const InspectReport ins = inspect_downstream(DownstreamKind::DW, r.written[0]);
  EXPECT_EQ(ins.bad_samples, 0u);
  EXPECT_EQ(ins.noisy_hist[0], 192010u);  // not water (README counts)
  EXPECT_EQ(ins.noisy_hist[1], 70035u);   // water
  EXPECT_EQ(ins.noisy_hist[9], 99u);      // nodata -> ignore
  // The reader's SSL4EO encoding of tile (256, 256) pixel (10, 20) matches the GeoTIFF value.
  DownstreamDataset ds(DownstreamKind::DW, r.written[0]);
  DownstreamSample s;
  ds.read(3, s);
  for (int b = 0; b < kS2Bands; ++b) {
    const double v = gdal_pixel(o.s2[0], b + 1, 266, 276);
    EXPECT_EQ(s.s2[b * 256 * 256 + 10 * 256 + 20], ssl4eo_encode(v, kS2Mean[b], kS2Std[b])) << b;
  }
  const double vv = gdal_pixel(o.s1[0], 1, 266, 276);
  EXPECT_EQ(s.s1[10 * 256 + 20], ssl4eo_encode(vv, kS1Mean[0], kS1Std[0]));
}

TEST(DataIngest, PretrainFormatSkipsTilesWithIgnoredPixels) {
  Out out;
  IngestOptions o = chip_options(out, "pretrain");
  if (o.s1.empty()) GTEST_SKIP() << "sen1floods11 chip not found";
  const IngestReport r = ingest_geotiffs(o);
  EXPECT_EQ(r.tiles_written + r.tiles_skipped, 4);
  if (r.tiles_written > 0) {
    PretrainPaths p;
    p.data_path = o.out_dir;
    const InspectReport ins = inspect_pretrain(p);
    EXPECT_EQ(ins.bad_samples, 0u);
    EXPECT_EQ(ins.samples, static_cast<size_t>(r.tiles_written));
  }
  o.label_map = "0:0,1:1";  // -1 is GDAL nodata or unmapped: either ignored or a named error
  try {
    ingest_geotiffs(o);
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("has no --label_map entry"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(parse_label_map("-1:ignore,0:0,1:1").at(-1), -1);
  EXPECT_THROW(parse_label_map("3-4"), ValueError);
}

}  // namespace
}  // namespace cromss::data
