// --deterministic on CUDA (core/determinism.h; label gpu, skips without a device): the
// bilinear resize backward, which adds with float atomics, becomes an error naming the flag,
// while a convolution (deterministic cuDNN algorithms exist) still runs and gives the same bits
// twice.
#include <gtest/gtest.h>

#include "core/determinism.h"
#include "core/error.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/reduce.h"
#include "engine/ops/resize.h"
#include "tests/gpu_test.h"

namespace cromss {
namespace {

struct DeterministicScope {
  DeterministicScope() { set_deterministic_algorithms(true); }
  ~DeterministicScope() { set_deterministic_algorithms(false); }
};

TEST(Determinism, AtomicOpsRefuseAndConvolutionsRepeat) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  SCOPED_TRACE("seed 41");
  const Device dev = Device::cuda(0);
  DeterministicScope on;
  Tensor x = Tensor::normal({2, 3, 9, 9}, 0, 1, 41).to(dev).set_requires_grad(true);
  Tensor up = resize_bilinear(x, 17, 17, false);
  try {
    sum(up).backward();
    FAIL() << "the bilinear backward ran under --deterministic";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--deterministic"), std::string::npos) << e.what();
  }
  std::vector<float> grads[2];
  for (auto& g : grads) {
    Tensor w = Tensor::normal({8, 3, 3, 3}, 0, 1, 42).to(dev).set_requires_grad(true);
    sum(conv2d(x.detach(), w, Tensor(), Conv2dParams::square(1, 1))).backward();
    g = w.grad().to_vector<float>();
  }
  EXPECT_EQ(grads[0], grads[1]);
}

}  // namespace
}  // namespace cromss
