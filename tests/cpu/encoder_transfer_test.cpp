// Encoder transfer (train/encoder_transfer.h): each --pretrain_tag copies exactly its branch's
// encoder out of a mid- or late-fusion pretraining checkpoint into a fine-tuning model (values
// equal the source branch, other parts untouched); a checkpoint without the branch, or whose first
// conv does not take the model's --n_channels, is a clear error naming the file and flag.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "core/error.h"
#include "models/downstream.h"
#include "models/segmentation_net.h"
#include "tests/tolerance.h"
#include "train/checkpoint.h"
#include "train/encoder_transfer.h"

namespace cromss {
namespace {

namespace fs = std::filesystem;

ModelConfig pretrain_config(const std::string& fusion) {
  ModelConfig c;
  c.input_type = "s12";
  c.fusion_type = fusion;
  c.model_type = "resnet18";
  c.n_channels = 13;
  return c;
}

std::unique_ptr<SegmentationModel> downstream(const std::string& framework, int64_t channels) {
  DownstreamConfig c;
  c.model_framework = framework;
  c.model_type = "resnet18";
  c.n_channels = channels;
  c.n_classes = 8;
  return build_segmentation_model(c, 99);
}

void expect_encoder_equals(Module& pretrained, const std::string& prefix, ResNetEncoder& encoder) {
  std::map<std::string, Tensor*> source;
  for (auto& s : pretrained.state()) source[s.name] = s.tensor;
  for (auto& s : encoder.state()) {
    ASSERT_TRUE(source.count(prefix + s.name)) << prefix + s.name;
    EXPECT_TRUE(test::all_close(*s.tensor, *source[prefix + s.name], {0, 0})) << s.name;
  }
}

TEST(EncoderTransfer, EachTagCopiesItsBranch) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("cromss_transfer_{}", ::getpid());
  fs::create_directories(dir);
  const std::string mid = (dir / "mid.h5").string(), late = (dir / "late.h5").string();
  auto mid_net = build_model(pretrain_config("mid"), 5);
  auto late_net = build_model(pretrain_config("late"), 6);
  save_checkpoint(mid, *mid_net, {});
  save_checkpoint(late, *late_net, {});

  struct Case {
    std::string tag, ckpt, prefix, framework;
    int64_t channels;
  };
  for (const Case& k :
       {Case{"mfs1", mid, "encoder1.", "fpn", 2}, Case{"mfs2", mid, "encoder.", "pspnet", 13},
        Case{"lfs1", late, "model1.encoder.", "deeplabv3plus", 2},
        Case{"lfs2", late, "model2.encoder.", "unet", 13}}) {
    SCOPED_TRACE(k.tag);
    auto net = downstream(k.framework, k.channels);
    std::vector<Tensor> before;
    for (auto& t : net->state()) before.push_back(t.tensor->contiguous().to(DType::f64));
    const int64_t copied = load_pretrained_encoder(k.ckpt, k.tag, net->encoder());
    EXPECT_EQ(copied, int64_t(net->encoder().state().size()));
    expect_encoder_equals(k.ckpt == mid ? static_cast<Module&>(*mid_net) : *late_net, k.prefix,
                          net->encoder());
    // The decoder and head keep their fresh initialisation.
    auto after = net->state();
    for (size_t i = 0; i < after.size(); ++i)
      if (after[i].name.rfind("encoder.", 0) != 0)
        EXPECT_TRUE(test::all_close(after[i].tensor->to(DType::f64), before[i], {0, 0}))
            << after[i].name;
  }
  auto net = downstream("fpn", 2);
  EXPECT_EQ(load_pretrained_encoder(mid, "rand", net->encoder()), 0);

  auto expect_error = [&](const std::string& ckpt, const std::string& tag,
                          const std::string& needle) {
    try {
      load_pretrained_encoder(ckpt, tag, net->encoder());
      ADD_FAILURE() << "no error for " << tag;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      if (tag != "satlas")  // a bad tag fails before the file is opened
        EXPECT_NE(std::string(e.what()).find(ckpt), std::string::npos) << e.what();
    }
  };
  expect_error(late, "mfs1", "missing net.encoder1.conv1.weight");
  expect_error(mid, "mfs2", "takes 13 input channels, the model has --n_channels 2");
  expect_error(mid, "satlas", "--pretrain_tag 'satlas'");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cromss
