// Sequential runs a BatchNorm2d followed by a ReLU as the fused BatchNorm2d::forward_relu: in
// training the output, running statistics, batch count and gradients equal the two layers run
// one after the other; in eval it is the unfused path.
#include <gtest/gtest.h>

#include <cstdio>

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/sequential.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

void randomise(Module& m, uint64_t seed) {
  for (auto& p : m.named_parameters()) {
    const Tensor r = Tensor::uniform(p.tensor->shape(), 0.5, 1.5, seed++);
    p.tensor->copy_(r);
  }
}

TEST(SequentialBnRelu, MatchesTheLayersRunOneAfterTheOther) {
  const uint64_t seed = 71;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (bool training : {true, false}) {
    SCOPED_TRACE(::testing::Message() << "training " << training);
    Sequential seq;
    BatchNorm2d& fused_bn = seq.add(std::make_unique<BatchNorm2d>(4));
    seq.add(std::make_unique<ReLU>());
    BatchNorm2d alone(4);
    randomise(seq, seed);
    randomise(alone, seed);
    seq.train(training);
    alone.train(training);

    const Tensor x = Tensor::normal({3, 4, 5, 6}, 0.3, 1.5, seed + 10);
    const Tensor g = Tensor::uniform({3, 4, 5, 6}, -1, 1, seed + 11);
    Tensor x1 = x.clone().set_requires_grad(true), x2 = x.clone().set_requires_grad(true);
    Tensor y1 = seq.forward(x1);
    Tensor y2 = relu(alone.forward(x2));
    const test::Tolerance tol = test::tolerance_for(DType::f32);
    EXPECT_TRUE(test::all_close(y1, y2, tol));
    const auto b1 = fused_bn.named_buffers(), b2 = alone.named_buffers();
    ASSERT_EQ(b1.size(), 3u);
    EXPECT_TRUE(test::all_close(*b1[0].tensor, *b2[0].tensor, tol));  // running_mean
    EXPECT_TRUE(test::all_close(*b1[1].tensor, *b2[1].tensor, tol));  // running_var
    EXPECT_EQ(b1[2].tensor->to_vector<int64_t>(), b2[2].tensor->to_vector<int64_t>());
    y1.backward(g);
    y2.backward(g);
    EXPECT_TRUE(test::all_close(x1.grad(), x2.grad(), tol));
  }
}

}  // namespace
}  // namespace cromss
