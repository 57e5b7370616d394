// Ops on a side stream (core/context.h StreamScope; label gpu, skips without a device): inside the
// scope the Context's current stream is the side stream, ops issued there (including cuDNN
// convolutions and reductions with Scratch memory) give the same values as on the compute
// stream, and the compute stream is current again after the scope.
#include <gtest/gtest.h>

#include "core/context.h"
#include "core/cuda_api.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/reduce.h"
#include "tests/gpu_test.h"

namespace cromss {
namespace {

TEST(StreamScope, OpsOnTheCopyStreamMatchTheComputeStream) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 5;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Context& ctx = Context::get(Device::cuda());
  const Tensor x = Tensor::uniform({2, 3, 17, 19}, -1, 1, seed, DType::f32, Device::cuda());
  const Tensor w = Tensor::uniform({4, 3, 3, 3}, -1, 1, seed + 1, DType::f32, Device::cuda());
  const Tensor on_compute = sum(conv2d(x, w, Tensor(), Conv2dParams{}), {0, 2, 3}, false);
  void* compute_stream = ctx.stream();
  ctx.synchronize();  // x and w are written on the compute stream
  Tensor on_copy;
  {
    StreamScope scope(ctx, cuda_api::Stream::copy);
    EXPECT_NE(ctx.stream(), compute_stream);
    EXPECT_EQ(ctx.stream(), ctx.stream_of_kind(cuda_api::Stream::copy));
    on_copy = sum(conv2d(x, w, Tensor(), Conv2dParams{}), {0, 2, 3}, false);
    ctx.synchronize();  // the copy stream's results are read on the compute stream below
  }
  EXPECT_EQ(ctx.stream(), compute_stream);
  EXPECT_EQ(on_copy.to_vector<float>(), on_compute.to_vector<float>());
}

}  // namespace
}  // namespace cromss
