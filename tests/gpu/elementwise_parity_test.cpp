// CUDA vs CPU parity of the elementwise ops in f32, bf16 and f16, with guard bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/pooling.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

class ElementwiseParity : public ::testing::TestWithParam<DType> {};

TEST_P(ElementwiseParity, ForwardAndBackward) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 42;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  Tensor a = Tensor::uniform({3, 33, 257}, -2, 2, seed);
  Tensor b = Tensor::uniform({3, 33, 257}, -2, 2, seed + 1);
  // The CPU reference runs on the device inputs rounded to dt, in f32.
  Tensor ad = a.to(dt).to(Device::cuda()), bd = b.to(dt).to(Device::cuda());
  Tensor ar = ad.to(Device::cpu()).to(DType::f32), br = bd.to(Device::cpu()).to(DType::f32);
  auto tol = test::tolerance_for(dt);
  EXPECT_TRUE(test::all_close(add(ad, bd).to(DType::f32).to(Device::cpu()), add(ar, br), tol));
  EXPECT_TRUE(test::all_close(mul(ad, bd).to(DType::f32).to(Device::cpu()), mul(ar, br), tol));
  EXPECT_TRUE(
      test::all_close(scale(ad, 0.3).to(DType::f32).to(Device::cpu()), scale(ar, 0.3), tol));
  Tensor xd = ad.clone().set_requires_grad(true), xr = ar.clone().set_requires_grad(true);
  relu(xd).backward(bd);
  relu(xr).backward(br);
  EXPECT_TRUE(test::all_close(xd.grad().to(DType::f32).to(Device::cpu()), xr.grad(), tol));
}

// The kernels run 128-bit vectors only on 16-byte-aligned buffers, with a scalar tail: views
// starting 1 to 8 elements into a buffer (misaligned, or aligned again at 8 for bf16/f16) of an
// odd length give the same results as the CPU.
TEST_P(ElementwiseParity, OffsetViewsAndOddLengths) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  const uint64_t seed = 43;
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const int64_t n = 1037;
  const Tensor a = Tensor::uniform({n}, -2, 2, seed).to(dt),
               b = Tensor::uniform({n}, -2, 2, seed + 1).to(dt);
  const Tensor ad = a.to(Device::cuda()), bd = b.to(Device::cuda());
  const Tensor ar = a.to(DType::f32), br = b.to(DType::f32);
  auto tol = test::tolerance_for(dt);
  for (int64_t start : {0, 1, 3, 8}) {
    SCOPED_TRACE(::testing::Message() << "view start " << start);
    const int64_t len = n - start;
    const Tensor av = ad.narrow(0, start, len), bv = bd.narrow(0, start, len);
    const Tensor arv = ar.narrow(0, start, len), brv = br.narrow(0, start, len);
    EXPECT_TRUE(test::all_close(sub(av, bv).to(DType::f32).to(Device::cpu()), sub(arv, brv), tol));
    EXPECT_TRUE(test::all_close(relu(av).to(DType::f32).to(Device::cpu()), relu(arv), tol));
    Tensor acc = bv.clone(), acc_ref = brv.clone();
    add_inplace(acc, av);
    add_inplace(acc_ref, arv);
    EXPECT_TRUE(test::all_close(acc.to(DType::f32).to(Device::cpu()), acc_ref, tol));
  }
}

// NaN/Inf propagate on the device exactly as in the CPU reference (issue 11 item 2): relu and
// its backward, max pooling and the class argmax, in every float dtype.
TEST_P(ElementwiseParity, NonfiniteLikeCpu) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const DType dt = GetParam();
  test::GuardBytesScope guard;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = Tensor::uniform({2, 3, 8, 8}, -2, 2, 11).to_vector<float>();
  for (size_t i = 0; i < v.size(); i += 13) v[i] = nan;
  for (size_t i = 5; i < v.size(); i += 17) v[i] = i % 2 ? inf : -inf;
  const Tensor x = Tensor::from_vector(v, {2, 3, 8, 8}).to(dt);
  auto same = [](const Tensor& gpu, const Tensor& cpu) {
    const auto a = gpu.to(Device::cpu()).to(DType::f32).to_vector<float>();
    const auto b = cpu.to(DType::f32).to_vector<float>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))
          << i << ": " << a[i] << " vs " << b[i];
  };
  Tensor xd = x.to(Device::cuda()).set_requires_grad(true);
  Tensor xr = x.to(DType::f32).set_requires_grad(true);
  same(relu(xd), relu(xr));
  relu(xd).backward(Tensor::full({2, 3, 8, 8}, 1.0, dt, Device::cuda()));
  relu(xr).backward(Tensor::full({2, 3, 8, 8}, 1.0));
  same(xd.grad(), xr.grad());
  same(max_pool2d(x.to(Device::cuda()), 3, 2, 1), max_pool2d(x.to(DType::f32), 3, 2, 1));
  EXPECT_EQ(argmax_classes(x.to(Device::cuda())).to_vector<uint8_t>(),
            argmax_classes(x.to(DType::f32)).to_vector<uint8_t>());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ElementwiseParity,
                         ::testing::Values(DType::f32, DType::bf16, DType::f16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
