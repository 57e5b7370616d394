// The encoder handling of `cromss finetune` (train/finetune_loop.h) on tiny synthetic
// SSL4EO-S12@DW data from a mid-fusion "pretraining" checkpoint's S2 encoder (mfs2), read back
// from the fine-tuned checkpoints:
//   efix --freeze_bn  the whole encoder state, BN statistics included, equals the pretrained one;
//   efix              encoder parameters equal, BN running statistics updated (upstream);
//   etr               the encoder trains;
//   eft (epoch 1)     frozen through epoch 0 (no encoder optimizer state yet), trained after.
// One epoch of 2 batches of 2 crops of 32 px each (eft: two epochs).
// In every run the decoder trains, and the label-255 pixels of the DW tiles are ignored.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <unistd.h>

#include "data/synth.h"
#include "engine/hdf5_file.h"
#include "models/segmentation_net.h"
#include "train/checkpoint.h"
#include "train/finetune_loop.h"

namespace cromss {
namespace {

namespace fs = std::filesystem;

class FinetuneLoopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("cromss_finetune_loop_{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ModelConfig mc;
    mc.model_type = "resnet18";
    pretrained_ = (dir_ / "pretrained.h5").string();
    save_checkpoint(pretrained_, *build_model(mc, 5), mc.to_json());
    for (auto [name, n, seed] : {std::tuple{"train", 4, 1}, std::tuple{"test", 2, 2}}) {
      data::SynthOptions o;
      o.out_dir = (dir_ / name).string();
      o.n = n;
      o.size = 64;
      o.seed = uint64_t(seed);
      o.downstream = "DW";
      o.threads = 1;
      (name == std::string("train") ? train_ : test_) = data::write_synth_dataset(o).written.at(0);
    }
    std::printf("synthetic DW: seeds 1 (train) and 2 (test), model seed 5, finetune seed 42\n");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static FinetuneConfig config(const std::string& tag) {
    FinetuneConfig c;
    c.dataset = "DW";
    c.train_path = train_;
    c.test_path = test_;
    c.model_type = "resnet18";
    c.pretrain_tag = "mfs2";
    c.weight_path = pretrained_;
    c.encoder_finetune_tag = tag;
    c.epochs = 1;
    c.scheduler_type = "none";
    c.batch_size = 2;
    c.crop_size = 32;
    c.accelerator = "cpu";
    c.num_workers = 1;
    c.apply_dataset_defaults();
    return c;
  }
  // Each configuration runs once; tests share its checkpoint.
  static std::string run(const FinetuneConfig& c, const std::string& name) {
    std::string& ckpt = runs_[name];
    if (!ckpt.empty()) return ckpt;
    FinetuneRunOptions o;
    o.run_dir = (dir_ / name).string();
    o.quiet = true;
    return ckpt = run_finetune(c, o).last_checkpoint;
  }
  // Whether `key` (a /model dataset) is bitwise equal in the two files.
  static bool same(const std::string& a, const std::string& b, const std::string& key) {
    const H5File fa(a, H5File::Mode::read), fb(b, H5File::Mode::read);
    const Tensor ta = fa.read("model/" + key), tb = fb.read("model/" + key);
    return ta.shape() == tb.shape() && ta.to_vector<double>() == tb.to_vector<double>();
  }

  static fs::path dir_;
  static std::string pretrained_, train_, test_;
  static std::map<std::string, std::string> runs_;
};
std::map<std::string, std::string> FinetuneLoopTest::runs_;
fs::path FinetuneLoopTest::dir_;
std::string FinetuneLoopTest::pretrained_, FinetuneLoopTest::train_, FinetuneLoopTest::test_;

const char* const kEncoderWeight = "net.encoder.layer2.0.conv1.weight";
const char* const kEncoderBnMean = "net.encoder.layer2.0.bn1.running_mean";
const char* const kDecoderWeight = "net.segmentation_head.0.weight";

TEST_F(FinetuneLoopTest, FrozenWithFrozenBnKeepsTheWholeEncoder) {
  FinetuneConfig c = config("efix");
  c.freeze_bn = true;
  const std::string ckpt = run(c, "efix_bn");
  const H5File f(ckpt, H5File::Mode::read);
  for (const auto& [key, shape] : checkpoint_state_shapes(f))
    if (key.rfind("encoder.", 0) == 0)
      EXPECT_TRUE(same(ckpt, pretrained_, checkpoint_key(key))) << key;
  EXPECT_FALSE(f.has("optimizer_encoder"));
}

TEST_F(FinetuneLoopTest, FrozenUpdatesBnStatisticsOnly) {
  const std::string ckpt = run(config("efix"), "efix");
  EXPECT_TRUE(same(ckpt, pretrained_, kEncoderWeight));
  EXPECT_TRUE(same(ckpt, pretrained_, "net.encoder.layer2.0.bn1.weight"));
  EXPECT_FALSE(same(ckpt, pretrained_, kEncoderBnMean)) << "upstream's efix updates BN statistics";
}

TEST_F(FinetuneLoopTest, TrainedEncoderAndDecoderChange) {
  const std::string efix = run(config("efix"), "efix"), etr = run(config("etr"), "etr");
  EXPECT_FALSE(same(etr, pretrained_, kEncoderWeight));
  EXPECT_FALSE(same(etr, efix, kDecoderWeight));  // same init, different encoder features
  const H5File f(etr, H5File::Mode::read);
  EXPECT_TRUE(f.has("optimizer_encoder"));
}

TEST_F(FinetuneLoopTest, EftUnfreezesAtItsEpoch) {
  FinetuneConfig c = config("eft");
  c.epochs = 2;
  c.encoder_finetune_epoch = 1;
  c.save_interval = 1;
  const std::string last = run(c, "eft");
  const std::string epoch0 = (dir_ / "eft" / "checkpoints" / "epoch=0-step=2.h5").string();
  ASSERT_TRUE(fs::exists(epoch0));
  EXPECT_TRUE(same(epoch0, pretrained_, kEncoderWeight));
  EXPECT_FALSE(H5File(epoch0, H5File::Mode::read).has("optimizer_encoder"));
  EXPECT_FALSE(same(last, pretrained_, kEncoderWeight));
  EXPECT_TRUE(H5File(last, H5File::Mode::read).has("optimizer_encoder"));
}

}  // namespace
}  // namespace cromss
