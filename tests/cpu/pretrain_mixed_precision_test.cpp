// Host-testable parts of train/mixed_precision.h: which slots become low precision (all but
// BatchNorm's affine parameters), refresh() rounding the fp32 master into the copy, and
// accumulate_grads() folding low-precision gradients into the fp32 flat buffer. The mixed
// forward/backward itself needs a GPU (bf16/f16 kernels are CUDA-only).
#include <gtest/gtest.h>

#include "layers/parameter_store.h"
#include "models/segmentation_net.h"
#include "train/mixed_precision.h"

namespace cromss {
namespace {

std::unique_ptr<SegmentationNet> tiny_model() {
  ModelConfig c;
  c.input_type = "s2";
  c.model_type = "resnet18";
  c.n_channels = 4;
  c.n_classes = 3;
  return build_model(c, 7);
}

TEST(MixedPrecisionWeights, BatchNormAffineStaysFp32OthersLowPrecision) {
  auto net = tiny_model();
  ParameterStore store(*net);
  const auto bn = batch_norm_parameter_names(*net);
  EXPECT_TRUE(bn.count("encoder.bn1.weight"));
  EXPECT_TRUE(bn.count("encoder.bn1.bias"));
  EXPECT_FALSE(bn.count("encoder.conv1.weight"));
  MixedPrecisionWeights mixed(*net, store, DType::bf16);
  int64_t low = 0, full = 0;
  for (const auto& e : store.entries()) {
    const DType expected = bn.count(e.name) ? DType::f32 : DType::bf16;
    EXPECT_EQ(e.slot->dtype(), expected) << e.name;
    (expected == DType::f32 ? full : low) += 1;
    if (expected == DType::bf16) {
      const auto master = ParameterStore::view_of(store.flat_parameters(), e).to_vector<float>();
      const auto copy = e.slot->to_vector<float>();
      for (size_t i = 0; i < master.size(); ++i)
        ASSERT_EQ(copy[i], bf16_bits_to_float(float_to_bf16_bits(master[i]))) << e.name;
    }
  }
  EXPECT_GT(low, 0);
  EXPECT_GT(full, 0);
}

TEST(MixedPrecisionWeights, GradientsAccumulateIntoFp32AndBindMasterRestoresViews) {
  auto net = tiny_model();
  ParameterStore store(*net);
  MixedPrecisionWeights mixed(*net, store, DType::f16);
  store.zero_grad();
  for (const auto& e : store.entries()) {
    Tensor g = e.slot->grad();
    ASSERT_TRUE(g.defined()) << e.name;
    g.copy_(Tensor::full(e.shape, 0.5));
  }
  mixed.accumulate_grads();
  mixed.accumulate_grads();  // low grads were zeroed: nothing more is added
  for (const auto& e : store.entries()) {
    const auto g = ParameterStore::view_of(store.flat_gradients(), e).to_vector<float>();
    // BN slots write the fp32 buffer directly, the others arrive through accumulate_grads().
    for (float v : g) ASSERT_EQ(v, 0.5f) << e.name;
  }
  mixed.bind_master();
  for (const auto& e : store.entries()) {
    EXPECT_EQ(e.slot->dtype(), DType::f32);
    EXPECT_EQ(e.slot->storage(), store.flat_parameters().storage()) << e.name;
  }
}

}  // namespace
}  // namespace cromss
