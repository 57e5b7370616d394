// reshape (a view, -1 inferred) and slice (a copy of a range): forward values and
// finite-difference gradients.
#include <gtest/gtest.h>

#include "engine/ops/shape_ops.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

TEST(ShapeOps, ReshapeIsAViewAndSliceCopiesARange) {
  Tensor x = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor r = reshape(x, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.raw_data(), x.raw_data());
  EXPECT_TRUE(test::all_close(slice(x, 1, 1, 2), Tensor::from_vector<float>({1, 2, 4, 5}, {2, 2})));
  EXPECT_TRUE(test::all_close(slice(x, -2, 1, 1), Tensor::from_vector<float>({3, 4, 5}, {1, 3})));
  EXPECT_EQ(slice(x, 1, 3, 0).shape(), (Shape{2, 0}));
  EXPECT_THROW(slice(x, 1, 2, 2), ValueError);
  EXPECT_THROW(reshape(x, {4, 2}), ValueError);
  // A non-contiguous input is copied first.
  Tensor n = x.narrow(1, 1, 2);
  EXPECT_TRUE(test::all_close(reshape(n, {4}), Tensor::from_vector<float>({1, 2, 4, 5}, {4})));
}

TEST(ShapeOpsGrad, ReshapeAndSlice) {
  test::expect_gradients_match(
      [](auto& in) {
        return reshape(in[0], {31, -1});
      },
      {grad_input({1, 31, 3, 4}, 1)});
  // S1+S2 split: 2 + 13 bands of a 15-band stack.
  test::expect_gradients_match([](auto& in) { return slice(in[0], 1, 2, 13); },
                               {grad_input({2, 15, 5, 6}, 2)});
  test::expect_gradients_match([](auto& in) { return slice(in[0], 2, 100, 57); },
                               {grad_input({1, 2, 255, 257}, 3)});
  test::expect_gradients_match([](auto& in) { return slice(in[0], 0, 1, 1); },
                               {grad_input({3, 33}, 4)});
}

}  // namespace
}  // namespace cromss
