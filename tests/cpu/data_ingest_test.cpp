// GeoTIFF ingest of a 128x128 window of a real Sen1Floods11 chip (tests/fixtures/sen1floods11,
// cut by tools/sen1floods11_fixture.cpp) as a 2-class downstream dataset (not water, water; -1
// nodata ignored) and in the pretraining format, read back through the upstream-format readers.
#include <gtest/gtest.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <filesystem>

#include "core/error.h"
#include "data/ingest.h"
#include "data/inspect.h"
#include "data/ssl4eo_stats.h"
#include "tests/geotiff_fixture.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;
using test::edited_copy;
const std::string& kChip = test::kSen1Floods11Chip;

struct Out {
  fs::path dir = fs::temp_directory_path() / fmt::format("cromss_ingest_{}", ::getpid());
  Out() { fs::remove_all(dir); }
  ~Out() { fs::remove_all(dir); }
};

IngestOptions chip_options(const Out& out, const std::string& format) {
  IngestOptions o;
  o.scenes = {{{kChip + "S1Hand.tif"}, {kChip + "S2Hand.tif"}, {kChip + "LabelHand.tif"}}};
  o.out_dir = out.dir.string();
  o.format = format;
  o.tile = 128;
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
  const IngestReport r = ingest(o);
  EXPECT_EQ(r.tiles_written, 1);
  EXPECT_TRUE(r.refused.empty());
  const InspectReport ins = inspect_downstream(DownstreamKind::DW, r.written[0]);
  EXPECT_EQ(ins.bad_samples, 0u);
  EXPECT_EQ(ins.noisy_hist[0], 11280u);  // not water (the fixture README's counts)
  EXPECT_EQ(ins.noisy_hist[1], 5093u);   // water
  EXPECT_EQ(ins.noisy_hist[9], 11u);     // nodata -> ignore
  // The reader's SSL4EO encoding of pixel (10, 20) matches the GeoTIFF value.
  DownstreamDataset ds(DownstreamKind::DW, r.written[0]);
  DownstreamSample s;
  ds.read(0, s);
  for (int b = 0; b < kS2Bands; ++b) {
    const double v = gdal_pixel(o.scenes[0].s2[0], b + 1, 10, 20);
    EXPECT_EQ(s.s2[b * 128 * 128 + 10 * 128 + 20], ssl4eo_encode(v, kS2Mean[b], kS2Std[b])) << b;
  }
  const double vv = gdal_pixel(o.scenes[0].s1[0], 1, 10, 20);
  EXPECT_EQ(s.s1[10 * 128 + 20], ssl4eo_encode(vv, kS1Mean[0], kS1Std[0]));
}

TEST(DataIngest, PretrainFormatSkipsTilesWithIgnoredPixels) {
  Out out;
  IngestOptions o = chip_options(out, "pretrain");
  const IngestReport r = ingest(o);
  EXPECT_EQ(r.tiles_written, 0);  // the one tile has ignored (nodata) pixels
  EXPECT_EQ(r.tiles_skipped, 1);
  if (r.tiles_written > 0) {
    PretrainPaths p;
    p.data_path = o.out_dir;
    const InspectReport ins = inspect_pretrain(p);
    EXPECT_EQ(ins.bad_samples, 0u);
    EXPECT_EQ(ins.samples, static_cast<size_t>(r.tiles_written));
  }
  o.label_map = "0:0,1:1";  // -1 is GDAL nodata or unmapped: either ignored or a named refusal
  o.out_dir = (out.dir / "unmapped").string();
  const IngestReport unmapped = ingest(o);
  for (const auto& f : unmapped.refused)
    EXPECT_NE(f.reason.find("has no --label_map entry"), std::string::npos) << f.reason;
  EXPECT_EQ(parse_label_map("-1:ignore,0:0,1:1").at(-1), -1);
  EXPECT_THROW(parse_label_map("3-4"), ValueError);
}

void expect_refused(IngestOptions o, const fs::path& out, const std::vector<std::string>& parts) {
  o.out_dir = out.string();
  const IngestReport r = ingest(o);
  EXPECT_EQ(r.tiles_written, 0);
  ASSERT_EQ(r.refused.size(), 1u) << "ingest accepted mismatched rasters";
  for (const auto& p : parts)
    EXPECT_NE(r.refused[0].reason.find(p), std::string::npos)
        << r.refused[0].reason << "\n lacks " << p;
}

TEST(DataIngest, RefusesRastersOffTheS1Grid) {
  Out out;
  IngestOptions o = chip_options(out, "DW");
  fs::create_directories(out.dir);
  // S2 shifted by 3 pixels east: same size and CRS, different pixel grid.
  o.scenes[0].s2 = {edited_copy(o.scenes[0].s2[0], out.dir / "s2_shifted.tif",
                                [](GDALDatasetH ds) { test::shift_east(ds, 3); })};
  expect_refused(o, out.dir / "a",
                 {"s2_shifted.tif", "geotransform", "not on the same pixel grid"});
  // A label in another CRS.
  o = chip_options(out, "DW");
  o.scenes[0].label = {
      edited_copy(o.scenes[0].label[0], out.dir / "label_3857.tif", [](GDALDatasetH ds) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, 3857);
        char* wkt = nullptr;
        OSRExportToWkt(srs, &wkt);
        GDALSetProjection(ds, wkt);
        CPLFree(wkt);
        OSRDestroySpatialReference(srs);
      })};
  expect_refused(o, out.dir / "b", {"label_3857.tif", "has CRS"});
}

}  // namespace
}  // namespace cromss::data
