// What one backward takes off the tape (engine/autograd.h): its own graph and dead branches, not
// the graph of another output the caller still holds (two forwards, then two backwards, as the
// CUDA-vs-CPU parity tests do), and its graph also when a backward closure throws.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"

namespace cromss {
namespace {

// y = x, with a backward that throws.
Tensor failing_identity(const Tensor& x) {
  Tensor y = x.detach().clone();
  record_op("failing_identity", y, {&x},
            [](const Tensor&, const std::vector<bool>&) -> std::vector<Tensor> {
              throw std::runtime_error("backward refused");
            });
  return y;
}

TEST(AutogradTape, ThrowingBackwardLeavesAnEmptyTape) {
  Tensor w = Tensor::from_vector<float>({0.5f, -1.f, 2.f}, {3}).set_requires_grad(true);
  EXPECT_THROW(sum(mul(failing_identity(w), w)).backward(), std::runtime_error);
  EXPECT_EQ(Tape::current().size(), 0u);

  w.zero_grad();
  const Tensor x = Tensor::from_vector<float>({1.f, 2.f, 3.f}, {3});
  sum(mul(x, w)).backward();  // d/dw sum(x * w) = x
  EXPECT_EQ(w.grad().to_vector<float>(), x.to_vector<float>());
}

TEST(AutogradTape, SecondLiveGraphKeepsItsNodesForItsOwnBackward) {
  Tensor w = Tensor::from_vector<double>({0.5, -1, 2}, {3}).set_requires_grad(true);
  Tensor v = Tensor::from_vector<double>({3, 1, -2}, {3}).set_requires_grad(true);
  const Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3});
  Tensor first = sum(mul(mul(x, w), w));  // d/dw = 2 x w
  Tensor second = sum(mul(x, v));         // d/dv = x
  mul(x, w);                              // a dead branch: nobody holds its output
  EXPECT_EQ(Tape::current().size(), 6u);
  second.backward();
  EXPECT_EQ(Tape::current().size(), 3u);  // first's graph only
  EXPECT_EQ(v.grad().to_vector<double>(), x.to_vector<double>());
  EXPECT_FALSE(w.grad().defined());
  first.backward();
  EXPECT_EQ(Tape::current().size(), 0u);
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{1, -4, 12}));
}

}  // namespace
}  // namespace cromss
