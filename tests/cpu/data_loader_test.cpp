// Loader and sampler: order is a pure function of (seed, epoch, rank, world size), two ranks cover
// every sample with equal counts, batches do not depend on worker count, the validation split
// follows the seed, and bad samples stop the loader or are skipped and counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "data/device_batch.h"
#include "data/loader.h"
#include "data/pickle_writer.h"
#include "data/sampler.h"
#include "data/synth.h"
#include "engine/ops/label_prior.h"
#include "tests/tolerance.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;

std::vector<size_t> iota_items(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(DataSampler, OrderIsDeterministicAndTwoRanksCoverEverything) {
  const auto items = iota_items(23);
  for (bool drop_last : {false, true}) {
    const auto r0 = epoch_order(items, 5, 3, 0, 2, true, drop_last, 4);
    const auto r1 = epoch_order(items, 5, 3, 1, 2, true, drop_last, 4);
    EXPECT_EQ(r0, epoch_order(items, 5, 3, 0, 2, true, drop_last, 4));
    EXPECT_EQ(r0.size(), r1.size());
    if (!drop_last) {
      EXPECT_EQ(r0.size(), 12u);  // ceil(23 / 2): one sample repeated as padding
      std::set<size_t> all(r0.begin(), r0.end());
      all.insert(r1.begin(), r1.end());
      EXPECT_EQ(all.size(), 23u);
      std::set<size_t> a(r0.begin(), r0.end()), b(r1.begin(), r1.end());
      std::vector<size_t> both;
      std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
      EXPECT_LE(both.size(), 1u);
    } else {
      EXPECT_EQ(r0.size(), 12u);  // whole batches of 4 per rank
    }
  }
  EXPECT_NE(epoch_order(items, 5, 3, 0, 1, true, false, 1),
            epoch_order(items, 5, 4, 0, 1, true, false, 1));
  EXPECT_EQ(epoch_order(items, 5, 3, 0, 1, false, false, 1), items);
}

TEST(DataSampler, ValidationSplitBySeed) {
  const auto s = split_train_val(100, 0.1, 7);
  EXPECT_EQ(s.val.size(), 10u);
  EXPECT_EQ(s.train.size(), 90u);
  std::set<size_t> all(s.val.begin(), s.val.end());
  all.insert(s.train.begin(), s.train.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(split_train_val(100, 0.1, 7).val, s.val);
  EXPECT_NE(split_train_val(100, 0.1, 8).val, s.val);
  EXPECT_EQ(split_train_val(100, 25, 7).val.size(), 25u);  // > 1: a count
}

struct SynthSet {
  fs::path dir;
  PretrainPaths paths;
  explicit SynthSet(int n) {
    dir = fs::temp_directory_path() / fmt::format("cromss_loader_{}_{}", n, ::getpid());
    fs::remove_all(dir);
    SynthOptions o;
    o.out_dir = dir.string();
    o.n = n;
    o.size = 40;
    o.seed = 11;
    write_synth_dataset(o);
    paths.data_path = o.out_dir;
    paths.name_clean_label = "dw_labels_clean.lmdb";
  }
  ~SynthSet() { fs::remove_all(dir); }
};

LoaderOptions small_options(int workers) {
  LoaderOptions o;
  o.batch_size = 3;
  o.seed = 2;
  o.workers = workers;
  o.pipeline.crop_size = 32;
  o.pipeline.n_channels = 9;
  return o;
}

// A resumed run starts the epoch at its data position: the batches from there on are those of
// an epoch read from the start (same samples, same random choices), without reading the others.
TEST(DataLoader, StartingMidEpochGivesTheRemainingBatches) {
  SynthSet set(10);
  PretrainDataset ds(set.paths);
  Loader loader(ds, iota_items(ds.size()), small_options(2));
  std::vector<std::vector<float>> full;
  std::vector<uint64_t> numbers;
  Batch b;
  loader.start_epoch(2);
  while (loader.next(b)) full.emplace_back(b.img_data(), b.img_data() + b.batch * 11 * 32 * 32);
  ASSERT_EQ(full.size(), 3u);
  loader.start_epoch(2, 1);
  std::vector<std::vector<float>> rest;
  while (loader.next(b)) {
    rest.emplace_back(b.img_data(), b.img_data() + b.batch * 11 * 32 * 32);
    numbers.push_back(b.number);
  }
  EXPECT_EQ(numbers, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(rest, std::vector<std::vector<float>>(full.begin() + 1, full.end()));
  loader.start_epoch(2, 5);  // past the end: an empty epoch
  EXPECT_FALSE(loader.next(b));
}

// --prior_on_device: a loader that only decodes and crops, handing over the full-tile seasonal
// labels, seasons and warp rows, plus the prior built from them after the upload
// (DeviceBatchUploader, engine/ops/label_prior.h), gives the prior of the loader that builds it,
// rotated samples included, for every prior type.
TEST(DataLoader, PriorBuiltAfterUploadEqualsLoaderPrior) {
  SynthSet set(10);
  PretrainDataset ds(set.paths);
  int rotated = 0;
  for (PriorType type : {PriorType::ts, PriorType::t, PriorType::s}) {
    LoaderOptions in_loader = small_options(2), on_device = small_options(2);
    in_loader.pipeline.prior_type = on_device.pipeline.prior_type = type;
    on_device.export_tile_labels = true;
    on_device.pipeline.with_prior = false;
    Loader a(ds, iota_items(ds.size()), in_loader), b(ds, iota_items(ds.size()), on_device);
    DeviceBatchUploader up_a(Device::cpu()), up_b(Device::cpu());
    for (uint64_t epoch = 0; epoch < 4; ++epoch) {
      a.start_epoch(epoch);
      b.start_epoch(epoch);
      Batch ba, bb;
      while (a.next(ba)) {
        ASSERT_TRUE(b.next(bb));
        ASSERT_EQ(bb.prior.bytes(), 0u);  // the loader built no prior
        for (const AugmentParams& p : bb.augment) rotated += p.rotate;
        const Tensor expected = up_a.upload(ba).prior;
        const DeviceBatch& got = up_b.upload(bb);
        ASSERT_FALSE(got.prior_in_slot);
        EXPECT_TRUE(test::all_close(got.prior, expected))
            << "type " << static_cast<int>(type) << " epoch " << epoch;
        EXPECT_EQ(got.img.to_vector<float>(), up_a.upload(ba).img.to_vector<float>());
      }
    }
  }
  EXPECT_GT(rotated, 0);  // the bilinear warp was exercised
}

TEST(DataLoader, BatchesIndependentOfWorkersAndRanksCoverDataset) {
  SynthSet set(10);
  PretrainDataset ds(set.paths);
  std::vector<std::vector<float>> imgs[2];
  std::vector<size_t> seen[2];
  for (int w : {1, 3}) {
    LoaderOptions lo = small_options(w);
    lo.export_tile_labels = true;
    Loader loader(ds, iota_items(ds.size()), lo);
    loader.start_epoch(1);
    EXPECT_EQ(loader.batches_per_epoch(), 3u);  // drop_last: 10 -> 9
    Batch b;
    while (loader.next(b)) {
      ASSERT_EQ(b.channels, 11);
      ASSERT_GT(b.prior.bytes(), 0u);
      ASSERT_GT(b.clean_labels.bytes(), 0u);
      imgs[w == 3].emplace_back(b.img_data(), b.img_data() + b.batch * 11 * 32 * 32);
      // The exported full-tile labels warped by the batch's augment params give the batch labels:
      // the device-prior hand-off is consistent.
      ASSERT_EQ(b.tile, 40);
      for (size_t k = 0; k < b.batch; ++k) {
        AugmentPlan plan;
        plan.build(b.augment[k]);
        std::vector<uint8_t> lab(32 * 32);
        const uint8_t* tl =
            static_cast<const uint8_t*>(b.tile_labels.data()) + (k * 4 + b.seasons[k]) * 40 * 40;
        plan.apply_nearest(tl, lab.data());
        ASSERT_EQ(0, std::memcmp(lab.data(), b.label_data() + k * 32 * 32, lab.size()))
            << "k " << k << " season " << b.seasons[k] << " rot " << b.augment[k].rotate << " flip "
            << b.augment[k].flip << " top " << b.augment[k].top << " tile " << b.augment[k].tile
            << " crop " << b.augment[k].crop;
      }
      seen[w == 3].insert(seen[w == 3].end(), b.indices.begin(), b.indices.end());
    }
  }
  EXPECT_EQ(imgs[0], imgs[1]);
  EXPECT_EQ(seen[0], seen[1]);
  // Two ranks without drop_last: every location appears, both ranks get 5.
  std::set<size_t> covered;
  for (int rank : {0, 1}) {
    LoaderOptions o = small_options(2);
    o.rank = rank;
    o.world_size = 2;
    o.drop_last = false;
    Loader loader(ds, iota_items(ds.size()), o);
    loader.start_epoch(0);
    Batch b;
    size_t count = 0;
    while (loader.next(b)) {
      count += b.batch;
      covered.insert(b.indices.begin(), b.indices.end());
    }
    EXPECT_EQ(count, 5u);
  }
  EXPECT_EQ(covered.size(), 10u);
}

TEST(DataLoader, BadSamplesStopOrAreSkipped) {
  SynthSet set(6);
  {  // Corrupt location 2's S2 record (truncated).
    LmdbWriter w((set.dir / "0k_251k_uint8_s2c.lmdb").string(), size_t{1} << 28);
    w.put("2", write_array_record(std::string(100, '\0'), {4, 13, 40, 40}, RecordId::integer(2)));
  }
  PretrainDataset ds(set.paths);
  LoaderOptions o = small_options(2);
  o.shuffle = false;
  {
    Loader loader(ds, iota_items(6), o);
    loader.start_epoch(0);
    Batch b;
    try {
      loader.next(b);
      ADD_FAILURE() << "bad sample not reported";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find("key '2': truncated value"), std::string::npos)
          << e.what();
    }
  }
  o.skip_bad_samples = true;
  Loader loader(ds, iota_items(6), o);
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  EXPECT_EQ(b.indices, (std::vector<size_t>{0, 1, 3}));  // 2 replaced by the next readable index
  EXPECT_EQ(loader.bad_samples(), 1u);
  EXPECT_EQ(loader.bad_sample_messages().size(), 1u);
}

}  // namespace
}  // namespace cromss::data
