// Tensor basics: factories, views, conversions (bf16/f16 rounding), allocator accounting, guard
// bytes, and the autograd tape (accumulation, NoGrad, detach, freeing).
#include <gtest/gtest.h>

#include <cmath>

#include "core/allocator.h"
#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(Tensor, FactoriesAndViews) {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.str(), "f32[2, 3] cpu");
  EXPECT_TRUE(t.is_contiguous());
  Tensor col = t.narrow(1, 1, 1);
  EXPECT_FALSE(col.is_contiguous());
  EXPECT_EQ(col.to_vector<float>(), (std::vector<float>{2, 5}));
  EXPECT_EQ(t.select(0, 1).to_vector<float>(), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(t.view({3, -1}).shape(), (Shape{3, 2}));
  EXPECT_THROW(t.view({4, 2}), ValueError);
  EXPECT_THROW(col.view({2}), ValueError);
  EXPECT_DOUBLE_EQ(Tensor::full({1}, 2.5).item(), 2.5);
}

TEST(Tensor, RandomIsCounterBased) {
  Tensor a = Tensor::uniform({1000}, -1, 1, 7);
  Tensor b = Tensor::uniform({1000}, -1, 1, 7);
  Tensor c = Tensor::uniform({1000}, -1, 1, 8);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  std::vector<double> n = Tensor::normal({20000}, 0, 1, 3, DType::f64).to_vector<double>();
  double mean = 0, var = 0;
  for (double v : n) mean += v / n.size();
  for (double v : n) var += (v - mean) * (v - mean) / n.size();
  EXPECT_NEAR(mean, 0, 0.03);
  EXPECT_NEAR(var, 1, 0.05);
}

TEST(Tensor, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(float_to_bf16_bits(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16_bits(bits_float(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(float_to_bf16_bits(bits_float(0x3f818000u)), 0x3f82);  // tie -> even (up)
  EXPECT_EQ(float_to_f16_bits(1.0f), 0x3c00);
  EXPECT_EQ(float_to_f16_bits(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_f16_bits(1e6f), 0x7c00);
  EXPECT_EQ(float_to_f16_bits(5.960464477539063e-08f), 0x0001);  // smallest subnormal
  EXPECT_TRUE(std::isnan(f16_bits_to_float(float_to_f16_bits(NAN))));
  for (uint32_t h = 0; h < 0x7c00; h += 7) {  // f16 -> f32 -> f16 is the identity
    EXPECT_EQ(float_to_f16_bits(f16_bits_to_float(static_cast<uint16_t>(h))), h);
  }
  Tensor t = Tensor::from_vector<float>({0.1f, -3.14159f, 1000.5f}, {3});
  Tensor back = t.to(DType::bf16).to(DType::f32);
  EXPECT_TRUE(test::all_close(back, t, test::tolerance_for(DType::bf16)));
  EXPECT_EQ(Tensor::from_vector<int64_t>({-3, 7}, {2}).to(DType::f32).to_vector<float>(),
            (std::vector<float>{-3, 7}));
}

TEST(Allocator, TracksPeakAndGuardBytes) {
  reset_peak_memory(Device::cpu());
  size_t before = memory_stats(Device::cpu()).in_use;
  {
    Tensor t = Tensor::empty({1 << 20}, DType::f32);
    EXPECT_GE(memory_stats(Device::cpu()).in_use, before + (4u << 20));
  }
  EXPECT_EQ(memory_stats(Device::cpu()).in_use, before);
  EXPECT_GE(memory_stats(Device::cpu()).peak, before + (4u << 20));

  int64_t violations = Storage::guard_violations();
  Storage::set_guard_mode(true);
  {
    Tensor t = Tensor::zeros({8});
    static_cast<float*>(t.raw_data())[8] = 1.0f;  // one element past the end
  }
  Storage::set_guard_mode(false);
  EXPECT_EQ(Storage::guard_violations(), violations + 1);
}

TEST(Allocator, CachingAllocatorReusesBlocks) {
  static int raw_allocs = 0;
  CachingAllocator cache(
      0,
      [](size_t b, int) -> void* {
        ++raw_allocs;
        return std::malloc(b);
      },
      [](void* p, int) noexcept { std::free(p); });
  void* a = cache.allocate(1000);
  cache.deallocate(a, 1000);
  void* b = cache.allocate(900);  // same 1024-byte bucket
  EXPECT_EQ(a, b);
  EXPECT_EQ(raw_allocs, 1);
  EXPECT_EQ(cache.stats().in_use, caching_bucket_size(900));
  cache.deallocate(b, 900);
  EXPECT_EQ(cache.stats().cached, caching_bucket_size(900));
  EXPECT_EQ(caching_bucket_size(3u << 20), 4u << 20);
}

TEST(Autograd, AccumulatesAndFrees) {
  Tensor x = Tensor::from_vector<double>({1, -2, 3}, {3}).set_requires_grad(true);
  Tensor w = Tensor::from_vector<double>({2, 2, 2}, {3}).set_requires_grad(true);
  Tensor y = add(mul(x, w), relu(x));  // dy/dx = w + [x > 0]
  EXPECT_EQ(Tape::current().size(), 3u);
  y.backward(Tensor::full({3}, 1.0, DType::f64));
  EXPECT_EQ(Tape::current().size(), 0u);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 2, 3}));
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{1, -2, 3}));
  Tensor z = mul(x, w);  // a second pass accumulates
  z.backward(Tensor::full({3}, 1.0, DType::f64));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5, 4, 5}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, PresetGradBufferAccumulatesInPlace) {
  Tensor flat = Tensor::zeros({4}, DType::f64);
  Tensor x = Tensor::from_vector<double>({1, 2}, {2}).set_requires_grad(true);
  x.set_grad(flat.narrow(0, 2, 2));
  add(x, x).backward(Tensor::full({2}, 1.0, DType::f64));
  EXPECT_EQ(flat.to_vector<double>(), (std::vector<double>{0, 0, 2, 2}));
  x.zero_grad();
  EXPECT_EQ(flat.to_vector<double>(), (std::vector<double>{0, 0, 0, 0}));
}

TEST(Autograd, NoGradAndDetachRecordNothing) {
  Tensor x = Tensor::from_vector<double>({1, 2}, {2}).set_requires_grad(true);
  {
    NoGrad no_grad;
    Tensor y = mul(x, x);
    EXPECT_FALSE(y.requires_grad());
  }
  Tensor d = x.detach();
  EXPECT_FALSE(mul(d, d).requires_grad());
  EXPECT_EQ(Tape::current().size(), 0u);
  EXPECT_THROW(Tensor::zeros({2}, DType::f64).backward(), ValueError);
}

TEST(Device, ParseAndErrors) {
  EXPECT_EQ(Device::parse("cuda:3"), Device::cuda(3));
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_THROW(Device::parse("tpu"), ValueError);
  if (cuda_device_count() == 0) EXPECT_THROW(Tensor::zeros({2}, DType::f32, Device::cuda()), Error);
}

}  // namespace
}  // namespace cromss
