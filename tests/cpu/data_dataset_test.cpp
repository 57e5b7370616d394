// Dataset readers: the CPython-written pretraining fixture, synthetic datasets in every format,
// inspection counts, and the named errors for bad datasets (missing LMDB, different lengths,
// wrong shape/dtype, truncated values, labels out of range, ids that disagree).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "data/inspect.h"
#include "data/pickle_writer.h"
#include "data/ssl4eo_dataset.h"
#include "data/synth.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / fmt::format("cromss_{}_{}", tag, ::getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void expect_io_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error, expected: " << needle;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(DataDataset, ReadsCPythonWrittenPretrainTriple) {
  PretrainPaths p;
  p.data_path = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/pickle_lmdb/pretrain";
  PretrainDataset ds(p);
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.height(), 8);
  EXPECT_FALSE(ds.has_clean_labels());
  const int64_t ids[] = {251079, 17, 99999};
  LocationData loc;
  for (size_t i = 0; i < 3; ++i) {
    ds.read(i, loc);
    EXPECT_EQ(loc.id, ids[i]);
    ASSERT_EQ(loc.s2.size(), 4u * 13 * 64);
    for (size_t k = 0; k < loc.s2.size(); k += 97)
      EXPECT_EQ(loc.s2[k], ((k * 7 + 3) % 251 + i) % 251);
    for (size_t k = 0; k < loc.label.size(); ++k)
      ASSERT_EQ(loc.label[k], ((k * 7 + 3) % 9 + i) % 9);
  }
}

TEST(DataDataset, SynthPretrainReadsAndInspects) {
  TempDir dir("synth_pre");
  SynthOptions o;
  o.out_dir = dir.path.string();
  o.n = 5;
  o.size = 32;
  o.seed = 3;
  o.threads = 2;
  const SynthReport rep = write_synth_dataset(o);
  EXPECT_EQ(rep.written.size(), 4u);
  PretrainPaths p;
  p.data_path = o.out_dir;
  p.name_clean_label = "dw_labels_clean.lmdb";
  PretrainDataset ds(p);
  EXPECT_EQ(ds.size(), 5u);
  EXPECT_TRUE(ds.has_clean_labels());
  LocationData loc;
  ds.read(4, loc);
  EXPECT_EQ(loc.id, 4);
  EXPECT_EQ(loc.clean_label.size(), 4u * 32 * 32);
  const InspectReport r = inspect_pretrain(p);
  EXPECT_EQ(r.bad_samples, 0u);
  uint64_t total = 0;
  for (auto v : r.noisy_hist) total += v;
  EXPECT_EQ(total, 5u * 4 * 32 * 32);
  EXPECT_EQ(r.disagree, rep.wrong_pixels);
  EXPECT_TRUE(r.to_json()["consistent"].get<bool>());
}

TEST(DataDataset, SynthDownstreamFormatsRemapLabels) {
  for (const char* kind : {"DW", "OSM", "DFC"}) {
    SCOPED_TRACE(kind);
    TempDir dir(std::string("synth_ds_") + kind);
    SynthOptions o;
    o.out_dir = dir.path.string();
    o.n = 3;
    o.size = 32;
    o.downstream = kind;
    const SynthReport rep = write_synth_dataset(o);
    DownstreamDataset ds(parse_downstream_kind(kind), rep.written[0]);
    EXPECT_EQ(ds.size(), 3u);
    DownstreamSample s;
    ds.read(2, s);
    EXPECT_EQ(s.height, 32);
    EXPECT_EQ(s.s2.size(), 13u * 32 * 32);
    const bool dfc = std::string(kind) == "DFC";
    EXPECT_EQ(s.label[0], dfc ? s.label[0] : 255);  // DW/OSM: unlabelled border -> ignore
    for (uint8_t v : s.label)
      EXPECT_TRUE(v == 255 ? !dfc : v < downstream_classes(parse_downstream_kind(kind)));
    const InspectReport r = inspect_downstream(parse_downstream_kind(kind), rep.written[0]);
    EXPECT_EQ(r.bad_samples, 0u);
  }
}

TEST(DataDataset, SynthBytesIndependentOfThreadCount) {
  std::vector<std::string> dumps;
  for (int threads : {1, 3}) {
    TempDir dir(fmt::format("synth_threads{}", threads));
    SynthOptions o;
    o.out_dir = dir.path.string();
    o.n = 7;
    o.size = 24;
    o.seed = 99;
    o.threads = threads;
    const SynthReport rep = write_synth_dataset(o);
    std::string all;
    for (const auto& path : rep.written) {
      LmdbReader env(path);
      for (const auto& key : env.keys())
        env.with_value(key, [&](const uint8_t* p, size_t n) {
          all.append(reinterpret_cast<const char*>(p), n);
        });
    }
    dumps.push_back(std::move(all));
  }
  EXPECT_GT(dumps[0].size(), 7u * 4 * 24 * 24 * 17);
  EXPECT_TRUE(dumps[0] == dumps[1]);
}

// Writes a pretraining triple of n locations with (seasons, bands, size) overrides per LMDB.
struct BadSet {
  TempDir dir{"bad"};
  PretrainPaths paths;
  BadSet() { paths.data_path = dir.path.string(); }
  void write(const std::string& name, int n, const std::vector<int64_t>& shape,
             int64_t id_offset = 0, uint8_t fill = 1, int truncate_key = -1) {
    LmdbWriter w((dir.path / name).string(), size_t{1} << 26);
    size_t count = 1;
    for (int64_t d : shape) count *= d;
    for (int i = 0; i < n; ++i) {
      std::string raw(count - (i == truncate_key ? 5 : 0), static_cast<char>(fill));
      w.put(std::to_string(i), write_array_record(raw, shape, RecordId::integer(i + id_offset)));
    }
  }
  void write_good(int n) {
    write(paths.name_s1, n, {4, 2, 16, 16});
    write(paths.name_s2, n, {4, 13, 16, 16});
    write(paths.name_label, n, {4, 16, 16});
  }
  void read_all() const {
    PretrainDataset ds(paths);
    LocationData loc;
    for (size_t i = 0; i < ds.size(); ++i) ds.read(i, loc);
  }
};

TEST(DataDataset, BadDatasetsGiveNamedErrors) {
  {
    BadSet b;
    b.write(b.paths.name_s1, 2, {4, 2, 16, 16});
    b.write(b.paths.name_label, 2, {4, 16, 16});
    expect_io_error([&] { b.read_all(); }, "0k_251k_uint8_s2c.lmdb does not exist");
  }
  {
    BadSet b;
    b.write_good(3);
    b.write(b.paths.name_s2, 4, {4, 13, 16, 16});
    expect_io_error([&] { b.read_all(); }, "LMDBs of different lengths");
  }
  {
    BadSet b;
    b.write_good(2);
    b.write(b.paths.name_s2, 2, {4, 12, 16, 16});
    expect_io_error([&] { b.read_all(); },
                    "array shape (4, 12, 16, 16) but expected (4, 13, 16, 16)");
  }
  {
    BadSet b;
    b.write_good(2);
    b.write(b.paths.name_label, 2, {4, 16, 16}, 0, 9);
    expect_io_error([&] { b.read_all(); }, "label value 9 at element 0 is out of range 0..8");
  }
  {
    BadSet b;
    b.write_good(3);
    b.write(b.paths.name_s1, 3, {4, 2, 16, 16}, 0, 1, 2);
    expect_io_error([&] { b.read_all(); }, "key '2': truncated value");
  }
  {
    BadSet b;
    b.write_good(2);
    b.write(b.paths.name_s2, 2, {4, 13, 16, 16}, 100);
    expect_io_error([&] { b.read_all(); }, "id 100 disagrees with the label LMDB's id 0");
    PretrainDataset ds(b.paths);
    LocationData loc;
    std::string err;
    EXPECT_FALSE(ds.try_read(0, loc, &err));
    EXPECT_NE(err.find("disagrees"), std::string::npos);
    const InspectReport r = inspect_pretrain(b.paths);
    EXPECT_EQ(r.bad_samples, 2u);
  }
  {
    BadSet b;
    b.write_good(2);
    LmdbWriter w((b.dir.path / b.paths.name_s1).string(), size_t{1} << 26);
    w.put("1", write_array_record(std::string(4 * 2 * 16 * 16 * 2, '\0'), {4, 2, 16, 16},
                                  RecordId::integer(1)));
    w.commit();
    expect_io_error([&] { b.read_all(); }, "(wrong dtype?)");
  }
}

// A data.mdb cut short (a partial copy, an interrupted rsync) is an IoError naming the LMDB when
// it is opened; reading it used to end the process with SIGBUS (issue 11 item 1). A synthetic
// set with a second, overwritten generation also checks that synth replaces, never mixes.
TEST(DataDataset, TruncatedLmdbIsANamedError) {
  TempDir dir("truncated");
  SynthOptions o;
  o.out_dir = dir.path.string();
  o.n = 16;
  o.size = 32;
  o.seed = 7;
  o.threads = 1;
  write_synth_dataset(o);
  o.n = 6;  // a smaller second generation into the same folder replaces the first
  EXPECT_EQ(write_synth_dataset(o).replaced.size(), 4u);
  PretrainPaths p;
  p.data_path = o.out_dir;
  EXPECT_EQ(PretrainDataset(p).size(), 6u);
  const fs::path mdb = dir.path / p.name_label / "data.mdb";
  const auto full = fs::file_size(mdb);
  for (int percent : {99, 90, 50}) {
    fs::resize_file(mdb, full * percent / 100);
    expect_io_error([&] { PretrainDataset ds(p); },
                    "LMDB " + (dir.path / p.name_label).string() + ": " + mdb.string() +
                        " is truncated: " + std::to_string(full * percent / 100) + " bytes");
  }
}

}  // namespace
}  // namespace cromss::data
