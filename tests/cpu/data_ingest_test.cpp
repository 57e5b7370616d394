// GeoTIFF ingest of a 128x128 window of a real Sen1Floods11 chip (tests/fixtures/sen1floods11,
// cut by tools/sen1floods11_fixture.cpp) as a 2-class downstream dataset (not water, water; -1
// nodata ignored) and in the pretraining format, read back through the upstream-format readers.
#include <gtest/gtest.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <filesystem>
#include <functional>

#include "core/error.h"
#include "data/ingest.h"
#include "data/inspect.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;
const std::string kChip =
    std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/sen1floods11/Spain_7370579_";

struct Out {
  fs::path dir = fs::temp_directory_path() / fmt::format("cromss_ingest_{}", ::getpid());
  Out() { fs::remove_all(dir); }
  ~Out() { fs::remove_all(dir); }
};

IngestOptions chip_options(const Out& out, const std::string& format) {
  IngestOptions o;
  o.s1 = {kChip + "S1Hand.tif"};
  o.s2 = {kChip + "S2Hand.tif"};
  o.label = {kChip + "LabelHand.tif"};
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
  const IngestReport r = ingest_geotiffs(o);
  EXPECT_EQ(r.tiles_written, 1);
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
    const double v = gdal_pixel(o.s2[0], b + 1, 10, 20);
    EXPECT_EQ(s.s2[b * 128 * 128 + 10 * 128 + 20], ssl4eo_encode(v, kS2Mean[b], kS2Std[b])) << b;
  }
  const double vv = gdal_pixel(o.s1[0], 1, 10, 20);
  EXPECT_EQ(s.s1[10 * 128 + 20], ssl4eo_encode(vv, kS1Mean[0], kS1Std[0]));
}

TEST(DataIngest, PretrainFormatSkipsTilesWithIgnoredPixels) {
  Out out;
  IngestOptions o = chip_options(out, "pretrain");
  const IngestReport r = ingest_geotiffs(o);
  EXPECT_EQ(r.tiles_written, 0);  // the one tile has ignored (nodata) pixels
  EXPECT_EQ(r.tiles_skipped, 1);
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

// A copy of `src` whose georeferencing `edit` changes (GDAL writes it).
std::string edited_copy(const std::string& src, const fs::path& dst,
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

void expect_refused(const IngestOptions& o, const std::vector<std::string>& parts) {
  try {
    ingest_geotiffs(o);
    ADD_FAILURE() << "ingest accepted mismatched rasters";
  } catch (const IoError& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\n lacks " << p;
  }
}

TEST(DataIngest, RefusesRastersOffTheS1Grid) {
  Out out;
  IngestOptions o = chip_options(out, "DW");
  if (o.s1.empty()) GTEST_SKIP() << "sen1floods11 chip not found";
  fs::create_directories(out.dir);
  // S2 shifted by 3 pixels east: same size and CRS, different pixel grid.
  o.s2 = {edited_copy(o.s2[0], out.dir / "s2_shifted.tif", [](GDALDatasetH ds) {
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    gt[0] += 3 * gt[1];
    GDALSetGeoTransform(ds, gt);
  })};
  expect_refused(o, {"s2_shifted.tif", "geotransform", "not on the same pixel grid"});
  // A label in another CRS.
  o = chip_options(out, "DW");
  o.label = {edited_copy(o.label[0], out.dir / "label_3857.tif", [](GDALDatasetH ds) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 3857);
    char* wkt = nullptr;
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
  })};
  expect_refused(o, {"label_3857.tif", "has CRS"});
}

}  // namespace
}  // namespace cromss::data
