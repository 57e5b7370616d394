// Dataset-scale ingest (data/ingest.h) on a multi-scene fixture cut at test time from the committed
// Sen1Floods11 128x128 chip: its four 64x64 quadrants are four scenes (plus one whose S2 is
// shifted by 3 pixels, which must be refused naming the file). Checked: keys continue across runs
// (append), a re-run after an interruption drops the half-written keys and skips finished scenes,
// the bytes do not depend on the thread count, the LMDBs are read by the training readers, and
// the release layouts (ssl4eo with per-band files at 10/20 m, dfc2020) are found and ingested.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.h"
#include "data/ingest.h"
#include "data/inspect.h"
#include "data/lmdb_env.h"
#include "data/ssl4eo_stats.h"
#include "tests/geotiff_fixture.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;
using test::gdal_translate;
const std::string& kChip = test::kSen1Floods11Chip;

struct TempDir {
  fs::path dir = fs::temp_directory_path() / fmt::format("cromss_ingest_ds_{}", ::getpid());
  TempDir() { fs::remove_all(dir); }
  ~TempDir() { fs::remove_all(dir); }
};

std::vector<std::string> srcwin(int r, int c) {
  return {"-srcwin", std::to_string(64 * c), std::to_string(64 * r), "64", "64"};
}

// Scenes q00, q01, q10, q11 (quadrant row, column) as <dir>/q<rc>_{s1,s2,label}.tif, and "bad":
// quadrant 00 with its S2 shifted by 3 pixels east.
void cut_quadrants(const fs::path& dir) {
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      for (const char* m : {"s1", "s2", "label"}) {
        const std::string src = kChip + (m == std::string("s1")   ? "S1Hand.tif"
                                         : m == std::string("s2") ? "S2Hand.tif"
                                                                  : "LabelHand.tif");
        gdal_translate(src, dir / fmt::format("q{}{}_{}.tif", r, c, m), srcwin(r, c));
      }
  fs::copy_file(dir / "q00_s1.tif", dir / "bad_s1.tif");
  fs::copy_file(dir / "q00_label.tif", dir / "bad_label.tif");
  test::edited_copy((dir / "q00_s2.tif").string(), dir / "bad_s2.tif",
                    [](GDALDatasetH ds) { test::shift_east(ds, 3); });
}

std::string write_list(const fs::path& path, const std::vector<std::string>& scenes) {
  std::ofstream out(path);
  out << "# S1 S2 LABEL (relative to this file)\n";
  for (const auto& s : scenes) out << s << "_s1.tif  " << s << "_s2.tif\t" << s << "_label.tif\n";
  return path.string();
}

IngestOptions dw_options(const fs::path& list, const fs::path& out, int threads) {
  IngestOptions o;
  o.scenes = scenes_from_list_file(list.string()).scenes;
  o.out_dir = out.string();
  o.format = "DW";
  o.tile = 32;
  o.label_map = "-1:ignore,0:0,1:1";
  o.threads = threads;
  return o;
}

std::map<std::string, std::string> lmdb_contents(const std::string& path) {
  const LmdbReader r(path);
  std::map<std::string, std::string> out;
  for (const auto& k : r.keys())
    r.with_value(k, [&](const uint8_t* d, size_t n) { out[k] = std::string(d, d + n); });
  return out;
}

std::vector<double> read_window(const std::string& path, int y0, int x0, int n) {
  GDALAllRegister();
  GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
  std::vector<double> v(static_cast<size_t>(n) * n);
  EXPECT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, x0, y0, n, n, v.data(), n, n,
                         GDT_Float64, 0, 0),
            CE_None);
  GDALClose(ds);
  return v;
}

std::string s1_id(const std::string& lmdb, size_t index) {
  DownstreamDataset ds(DownstreamKind::DW, lmdb);
  DownstreamSample s;
  ds.read(index, s);
  return s.id;
}

TEST(DataIngestDataset, ListAppendResumeAndThreadIndependence) {
  TempDir tmp;
  const fs::path fx = tmp.dir / "scenes", out = tmp.dir / "out";
  cut_quadrants(fx);
  const std::string lmdb = (out / "ingest_dw_lmdb").string();
  const std::string progress = lmdb + "/ingest_progress.json";

  // Run 1: three good scenes and the shifted one.
  const auto list1 = write_list(fx / "list1.txt", {"q00", "q01", "bad", "q10"});
  IngestReport r = ingest(dw_options(list1, out, 2));
  EXPECT_EQ(r.scenes_ingested, 3);
  EXPECT_EQ(r.first_key, 0);
  EXPECT_EQ(r.next_key, 12);  // 4 tiles of 32 per 64x64 scene
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_NE(r.refused[0].scene.find("bad_s1.tif"), std::string::npos);
  EXPECT_NE(r.refused[0].reason.find("bad_s2.tif"), std::string::npos) << r.refused[0].reason;
  EXPECT_NE(r.refused[0].reason.find("not on the same pixel grid"), std::string::npos);
  EXPECT_EQ(s1_id(lmdb, 8), "s1_q10_s1_0_0.tif");  // the refused scene left no gap
  std::ifstream in(progress);
  const std::string after_run1((std::istreambuf_iterator<char>(in)), {});

  // Run 2 appends the fourth quadrant with continuing keys; the four quadrants tile the chip, so
  // the histogram is the fixture README's.
  const auto list2 = write_list(fx / "list2.txt", {"q11"});
  r = ingest(dw_options(list2, out, 2));
  EXPECT_EQ(r.first_key, 12);
  EXPECT_EQ(r.next_key, 16);
  EXPECT_EQ(s1_id(lmdb, 12), "s1_q11_s1_0_0.tif");
  InspectReport ins = inspect_downstream(DownstreamKind::DW, lmdb);
  EXPECT_EQ(ins.samples, 16u);
  EXPECT_EQ(ins.bad_samples, 0u);
  EXPECT_EQ(ins.noisy_hist[0], 11280u);
  EXPECT_EQ(ins.noisy_hist[1], 5093u);
  EXPECT_EQ(ins.noisy_hist[9], 11u);
  const auto complete = lmdb_contents(lmdb);

  // An interruption after q11's records were committed but before its progress record: the next
  // run drops keys 12..15 and, with nothing left to do, leaves 12 samples.
  std::ofstream(progress) << after_run1;
  const auto list3 = write_list(fx / "list3.txt", {"q00", "q01", "q10"});
  r = ingest(dw_options(list3, out, 2));
  EXPECT_EQ(r.scenes_already_done, 3);
  EXPECT_EQ(r.scenes_ingested, 0);
  EXPECT_EQ(LmdbReader(lmdb).entries(), 36u);
  // Resuming the full list ingests only what is missing (the refused scene again) and gives
  // the same bytes as the uninterrupted runs.
  const auto list4 = write_list(fx / "list4.txt", {"q00", "q01", "bad", "q10", "q11"});
  r = ingest(dw_options(list4, out, 2));
  EXPECT_EQ(r.scenes_already_done, 3);
  EXPECT_EQ(r.scenes_ingested, 1);
  EXPECT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(lmdb_contents(lmdb), complete);

  // One run of the whole list on 1 and on 3 threads: the same bytes.
  for (int threads : {1, 3}) {
    const fs::path other = tmp.dir / fmt::format("threads{}", threads);
    ingest(dw_options(list4, other, threads));
    EXPECT_EQ(lmdb_contents((other / "ingest_dw_lmdb").string()), complete) << threads;
  }
}

TEST(DataIngestDataset, ListFileErrorsNameTheLine) {
  TempDir tmp;
  fs::create_directories(tmp.dir);
  std::ofstream(tmp.dir / "bad.txt") << "a.tif b.tif c.tif\n\na.tif b.tif\n";
  try {
    scenes_from_list_file((tmp.dir / "bad.txt").string());
    ADD_FAILURE() << "a 2-column line was accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt line 3: 2 columns"), std::string::npos)
        << e.what();
  }
}

// SSL4EO-S12 release layout: per-band files (B5 at 20 m, half the size), two seasons per location
// named so that only date order pairs them (S1B of March before S1A of June).
TEST(DataIngestDataset, Ssl4eoLayoutIntoPretrainLmdbs) {
  TempDir tmp;
  const fs::path root = tmp.dir / "ssl4eo";
  const auto& s2_names = s2_band_files();
  for (int q = 0; q < 4; ++q) {
    const std::string loc = fmt::format("{:07d}", q);
    const auto win = srcwin(q / 2, q % 2);
    const std::string s1_seasons[2] = {"S1A_IW_GRDH_1SDV_20200607T010800",
                                       "S1B_IW_GRDH_1SDV_20200301T010800"};
    const std::string s2_seasons[2] = {"20200305T101559_20200305T102257_T30SXJ",
                                       "20200605T101559_20200605T102257_T30SXJ"};
    for (int s = 0; s < 2; ++s) {
      for (int b = 0; b < 2; ++b) {
        auto args = win;
        args.insert(args.end(), {"-b", std::to_string(b + 1)});
        gdal_translate(kChip + "S1Hand.tif",
                       root / "s1" / loc / s1_seasons[s] / (s1_band_files()[b] + ".tif"), args);
      }
      for (int b = 0; b < kS2Bands; ++b) {
        auto args = win;
        args.insert(args.end(), {"-b", std::to_string(b + 1)});
        if (s2_names[b] == "B5") args.insert(args.end(), {"-outsize", "32", "32", "-r", "average"});
        gdal_translate(kChip + "S2Hand.tif",
                       root / "s2c" / loc / s2_seasons[s] / (s2_names[b] + ".tif"), args);
      }
      gdal_translate(kChip + "LabelHand.tif",
                     root / "dw" / loc / (s2_seasons[s].substr(0, 8) + ".tif"), win);
    }
  }
  const SceneList found = scenes_from_layout("ssl4eo", root.string());
  ASSERT_EQ(found.scenes.size(), 4u);
  EXPECT_TRUE(found.refused.empty());
  EXPECT_NE(found.scenes[0].s1[0].find("20200301"), std::string::npos);
  EXPECT_NE(found.scenes[0].s2[0].find("20200305"), std::string::npos);
  IngestOptions o;
  o.scenes = found.scenes;
  o.out_dir = (tmp.dir / "out").string();
  o.tile = 32;
  o.label_map = "-1:ignore,0:0,1:1";  // tiles holding nodata (-1) are skipped
  const IngestReport r = ingest(o);
  EXPECT_TRUE(r.refused.empty()) << r.refused[0].reason;
  EXPECT_EQ(r.tiles_written + r.tiles_skipped, 16);
  EXPECT_GT(r.tiles_written, 0);
  PretrainPaths p;
  p.data_path = o.out_dir;
  const InspectReport ins = inspect_pretrain(p);
  EXPECT_EQ(ins.bad_samples, 0u);
  EXPECT_EQ(ins.samples, static_cast<size_t>(r.tiles_written));
  // A 10 m band is encoded from the file's values: sample 0 (the first written tile of location
  // 0, season 0) holds B2 of one of its tile windows exactly.
  PretrainDataset ds(p);
  LocationData sample;
  ds.read(0, sample);
  const std::string b2 = (fs::path(found.scenes[0].s2[0]) / "B2.tif").string();
  bool matched = false;
  for (int y0 : {0, 32})
    for (int x0 : {0, 32}) {
      const std::vector<double> v = read_window(b2, y0, x0, 32);
      bool same = true;
      for (size_t i = 0; i < v.size(); ++i)
        same &= sample.s2[1 * 32 * 32 + i] == ssl4eo_encode(v[i], kS2Mean[1], kS2Std[1]);
      matched |= same;
    }
  EXPECT_TRUE(matched);
  EXPECT_EQ(ins.noisy_hist.size(), static_cast<size_t>(kDwClasses));
}

// DFC2020 layout: ROIs0000_<split>/{s1,s2,dfc}_0/ROIs0000_<split>_{s1,s2,dfc}_0_p<i>.tif; a patch
// without its label is refused by name.
TEST(DataIngestDataset, Dfc2020LayoutFindsCounterparts) {
  TempDir tmp;
  const fs::path split = tmp.dir / "dfc" / "ROIs0000_test";
  for (int q = 0; q < 4; ++q)
    for (const auto& [kind, src] : {std::pair<std::string, std::string>{"s1", "S1Hand.tif"},
                                    {"s2", "S2Hand.tif"},
                                    {"dfc", "LabelHand.tif"}})
      if (!(q == 3 && kind == "dfc"))
        gdal_translate(
            kChip + src,
            split / (kind + "_0") / fmt::format("ROIs0000_test_{}_0_p{}.tif", kind, q + 1),
            srcwin(q / 2, q % 2));
  const SceneList found = scenes_from_layout("dfc2020", (tmp.dir / "dfc").string());
  ASSERT_EQ(found.scenes.size(), 3u);
  ASSERT_EQ(found.refused.size(), 1u);
  EXPECT_NE(found.refused[0].reason.find("ROIs0000_test_dfc_0_p4.tif"), std::string::npos)
      << found.refused[0].reason;
  EXPECT_EQ(layout_defaults("dfc2020").format, "DFC");
  IngestOptions o;
  o.scenes = found.scenes;
  o.out_dir = (tmp.dir / "out").string();
  o.format = "DFC";
  o.tile = 64;
  o.label_map = "-1:7,0:7,1:0";  // nodata, not water -> barren; water -> water (a test mapping)
  const IngestReport r = ingest(o);
  EXPECT_EQ(r.tiles_written, 3);
  const InspectReport ins = inspect_downstream(DownstreamKind::DFC, r.written[0]);
  EXPECT_EQ(ins.bad_samples, 0u);
  EXPECT_EQ(ins.samples, static_cast<size_t>(r.tiles_written));
}

// DW layout: s1/, s2/, dw/ with one GeoTIFF per tile, paired by name after the prefix; whole
// tiles by default (tile 0), as upstream stored them. A tile without S2 is refused by name.
TEST(DataIngestDataset, DwLayoutStoresWholeTiles) {
  TempDir tmp;
  const fs::path root = tmp.dir / "dw";
  for (int q = 0; q < 4; ++q) {
    const std::string name = fmt::format("tile{}.tif", q);
    gdal_translate(kChip + "S1Hand.tif", root / "s1" / ("s1_" + name), srcwin(q / 2, q % 2));
    if (q != 2)
      gdal_translate(kChip + "S2Hand.tif", root / "s2" / ("s2_" + name), srcwin(q / 2, q % 2));
    gdal_translate(kChip + "LabelHand.tif", root / "dw" / ("dw_" + name), srcwin(q / 2, q % 2));
  }
  const SceneList found = scenes_from_layout("dw", root.string());
  ASSERT_EQ(found.scenes.size(), 3u);
  ASSERT_EQ(found.refused.size(), 1u);
  EXPECT_NE(found.refused[0].reason.find("no S2 tile tile2.tif"), std::string::npos)
      << found.refused[0].reason;
  const LayoutDefaults d = layout_defaults("dw");
  IngestOptions o;
  o.scenes = found.scenes;
  o.out_dir = (tmp.dir / "out").string();
  o.format = d.format;
  o.tile = d.tile;
  o.label_map = "-1:ignore,0:0,1:1";  // the chip's coding, not DW's
  const IngestReport r = ingest(o);
  EXPECT_EQ(r.tiles_written, 3);
  DownstreamDataset ds(DownstreamKind::DW, r.written[0]);
  DownstreamSample s;
  ds.read(2, s);
  EXPECT_EQ(s.height, 64);
  EXPECT_EQ(s.width, 64);
  EXPECT_EQ(s.id, "s1_tile3.tif");  // upstream's id of a whole tile
}

}  // namespace
}  // namespace cromss::data
