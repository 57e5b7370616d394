// kernels/vector_split.cuh: when the CUDA element-wise kernels use 128-bit vectors, how the
// elements split into vectors and a scalar tail, and when their loops count in int32.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "kernels/vector_split.cuh"

namespace cromss {
namespace {

alignas(16) unsigned char buffer[256];

TEST(VectorSplit, WidthPacksSixteenBytes) {
  EXPECT_EQ(vector_width(2), 8);  // bf16, f16
  EXPECT_EQ(vector_width(4), 4);  // f32
  EXPECT_EQ(vector_width(8), 2);  // f64
  EXPECT_EQ(vector_width(16), 1);
  EXPECT_EQ(vector_width(3), 1);
}

TEST(VectorSplit, AlignedBuffersGiveVectorsAndAShortTail) {
  for (int64_t n : {0, 1, 7, 8, 9, 63, 64, 1001}) {
    const VectorSplit s = vector_split(n, 2, {buffer, buffer + 64});
    EXPECT_EQ(s.width, 8);
    EXPECT_EQ(s.items, n / 8);
    EXPECT_EQ(s.tail_begin, s.items * 8);
    EXPECT_LT(n - s.tail_begin, 8) << "n " << n;  // the tail is shorter than one vector
    EXPECT_GE(n - s.tail_begin, 0);
  }
  const VectorSplit f64 = vector_split(5, 8, {buffer});
  EXPECT_EQ(f64.items, 2);
  EXPECT_EQ(f64.tail_begin, 4);
}

TEST(VectorSplit, AnyMisalignedBufferFallsBackToScalars) {
  // A view starting one f32 element into an aligned buffer.
  const VectorSplit s = vector_split(100, 4, {buffer, buffer + 4});
  EXPECT_EQ(s.width, 1);
  EXPECT_EQ(s.items, 100);
  EXPECT_EQ(s.tail_begin, 100);
  // Absent optional buffers (null) do not prevent vectors.
  EXPECT_EQ(vector_split(100, 4, {buffer, nullptr}).width, 4);
}

TEST(VectorSplit, RowsThatAreNotWholeVectorsFallBackToScalars) {
  // Batch norm: the channel changes every hw elements, so vectors need hw % width == 0.
  EXPECT_EQ(vector_split(2 * 3 * 64, 2, {buffer}, 64).width, 8);
  EXPECT_EQ(vector_split(2 * 3 * 63, 2, {buffer}, 63).width, 1);
  EXPECT_EQ(vector_split(2 * 3 * 4, 4, {buffer}, 4).width, 4);
  EXPECT_EQ(vector_split(2 * 3 * 4, 2, {buffer}, 4).width, 1);  // 8-wide bf16 vectors, rows of 4
}

TEST(VectorSplit, Int32IndexOnlyWhenTheLastStepCannotOverflow) {
  const int64_t max32 = std::numeric_limits<int32_t>::max();
  EXPECT_TRUE(index_fits_int32(1 << 20, 1 << 20));
  EXPECT_TRUE(index_fits_int32(max32 - 256, 256));
  EXPECT_FALSE(index_fits_int32(max32 - 255, 256));
  EXPECT_FALSE(index_fits_int32(int64_t(1) << 32, 256));
}

}  // namespace
}  // namespace cromss
