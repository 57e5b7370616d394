// Module tree: state_dict naming and order, train/eval propagation, the flat ParameterStore
// (one contiguous parameter buffer and one gradient buffer, views bound as grads), and the
// seeded, name-keyed initialisation rules.
#include <gtest/gtest.h>

#include <cmath>

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/parameter_store.h"
#include "layers/sequential.h"

namespace cromss {
namespace {

// A two-level tree shaped like an smp Conv2dReLU inside a block: "block.conv1.{0,1}".
class TinyNet : public Module {
 public:
  TinyNet() {
    auto& block = add_child("block", std::make_unique<Module>());
    auto seq = std::make_unique<Sequential>();
    seq->add(std::make_unique<Conv2d>(3, 4, 3, 1, 1));
    seq->add(std::make_unique<BatchNorm2d>(4));
    seq->add(std::make_unique<ReLU>());
    block.add_child("conv1", std::move(seq));
    add_child("head", std::make_unique<Conv2d>(4, 2, 1, 1, 0, true));
  }
};

std::vector<std::string> names(const std::vector<NamedTensor>& v) {
  std::vector<std::string> out;
  for (auto& n : v) out.push_back(n.name);
  return out;
}

TEST(Module, StateUsesPyTorchKeysAndOrder) {
  TinyNet net;
  EXPECT_EQ(names(net.state()),
            (std::vector<std::string>{
                "block.conv1.0.weight", "block.conv1.1.weight", "block.conv1.1.bias",
                "block.conv1.1.running_mean", "block.conv1.1.running_var",
                "block.conv1.1.num_batches_tracked", "head.weight", "head.bias"}));
  EXPECT_EQ(names(net.named_parameters("net.")).front(), "net.block.conv1.0.weight");
  EXPECT_EQ(net.named_buffers().size(), 3u);
  EXPECT_EQ(net.parameter_count(), 4 * 3 * 9 + 4 + 4 + 2 * 4 + 2);
  Tensor* nbt = net.named_buffers()[2].tensor;
  EXPECT_EQ(nbt->dtype(), DType::i64);
  EXPECT_EQ(nbt->shape(), Shape{});
}

TEST(Module, TrainAndEvalReachEveryDescendant) {
  TinyNet net;
  EXPECT_TRUE(net.training());
  net.eval();
  for (auto& [name, child] : net.named_children()) EXPECT_FALSE(child->training()) << name;
  EXPECT_FALSE(net.named_children()[0].second->named_children()[0].second->training());
  net.train();
  EXPECT_TRUE(net.named_children()[0].second->named_children()[0].second->training());
}

TEST(ParameterStore, CarvesOneFlatBufferAndBindsGradientViews) {
  TinyNet net;
  net.initialize_parameters(7);
  std::vector<std::vector<float>> before;
  for (auto& p : net.named_parameters()) before.push_back(p.tensor->to_vector<float>());

  ParameterStore store(net);
  EXPECT_EQ(store.parameter_count(), net.parameter_count());
  EXPECT_EQ(store.entries().size(), 5u);
  const auto params = net.named_parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& e = store.entries()[i];
    EXPECT_EQ(e.name, params[i].name);
    EXPECT_EQ(e.offset % ParameterStore::kAlignment, 0) << e.name;
    EXPECT_EQ(params[i].tensor->storage(), store.flat_parameters().storage()) << e.name;
    EXPECT_EQ(params[i].tensor->to_vector<float>(), before[i]) << e.name;
    EXPECT_TRUE(params[i].tensor->requires_grad());
    EXPECT_EQ(params[i].tensor->grad().storage(), store.flat_gradients().storage()) << e.name;
    EXPECT_EQ(params[i].tensor->grad().offset(), e.offset);
  }
  // Writing through the flat buffer is visible in the module's tensors and vice versa.
  store.flat_parameters().fill_(0.5);
  EXPECT_EQ(params[0].tensor->to_vector<float>()[0], 0.5f);
  store.flat_gradients().fill_(1.0);
  store.zero_grad();
  EXPECT_EQ(params[3].tensor->grad().to_vector<float>()[0], 0.0f);
  // Buffers stay outside the store.
  EXPECT_NE(net.named_buffers()[0].tensor->storage(), store.flat_parameters().storage());
}

TEST(Init, IsSeededPerNameAndFollowsTheRules) {
  TinyNet a, b;
  a.initialize_parameters(42);
  b.initialize_parameters(42);
  for (size_t i = 0; i < a.named_parameters().size(); ++i)
    EXPECT_EQ(a.named_parameters()[i].tensor->to_vector<float>(),
              b.named_parameters()[i].tensor->to_vector<float>());
  b.initialize_parameters(43);
  EXPECT_NE(a.named_parameters()[0].tensor->to_vector<float>(),
            b.named_parameters()[0].tensor->to_vector<float>());
  // Conv2d default: kaiming-uniform a=sqrt(5) => U(+-1/sqrt(fan_in)), fan_in = 3*3*3.
  auto w = a.named_parameters()[0].tensor->to_vector<float>();
  double bound = 1.0 / std::sqrt(27.0), max_abs = 0;
  for (float v : w) max_abs = std::max(max_abs, std::fabs(double(v)));
  EXPECT_LE(max_abs, bound);
  EXPECT_GT(max_abs, 0.5 * bound);
  // BN affine: ones and zeros.
  for (float v : a.named_parameters()[1].tensor->to_vector<float>()) EXPECT_EQ(v, 1.0f);
  for (float v : a.named_parameters()[2].tensor->to_vector<float>()) EXPECT_EQ(v, 0.0f);
  EXPECT_NE(seed_for_name(1, "encoder.conv1.weight"), seed_for_name(1, "encoder1.conv1.weight"));
}

TEST(Init, SetInitRejectsUnknownNames) {
  Conv2d conv(2, 2, 1);
  EXPECT_THROW(conv.set_init("bias", {Init::Kind::zeros}), ValueError);
}

}  // namespace
}  // namespace cromss
