// concat: values land in the right ranges along dim 0, 1 and -1, shape errors are reported, and
// finite-difference gradients (each input gets its range of the output gradient).
#include <gtest/gtest.h>

#include "engine/ops/concat.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

TEST(Concat, ForwardPlacesInputsAlongDim) {
  Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector<float>({5, 6}, {2, 1});
  EXPECT_TRUE(
      test::all_close(concat({a, b}, 1), Tensor::from_vector<float>({1, 2, 5, 3, 4, 6}, {2, 3})));
  EXPECT_TRUE(test::all_close(concat({a, b.view({1, 2})}, 0),
                              Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {3, 2})));
  EXPECT_TRUE(test::all_close(concat({a, b}, -1), concat({a, b}, 1)));
  EXPECT_THROW(concat({a, b}, 0), ValueError);
  EXPECT_THROW(concat({}, 0), ValueError);
  EXPECT_THROW(concat({a, b.to(DType::f64)}, 1), ValueError);
}

TEST(ConcatGrad, ChannelsAndOtherAxes) {
  test::expect_gradients_match(
      [](auto& in) {
        return concat({in[0], in[1], in[2]}, 1);
      },
      {grad_input({2, 31, 3, 4}, 1), grad_input({2, 33, 3, 4}, 2), grad_input({2, 1, 3, 4}, 3)});
  test::expect_gradients_match(
      [](auto& in) {
        return concat({in[0], in[1]}, 1);
      },
      {grad_input({1, 2, 255, 257}, 10), grad_input({1, 1, 255, 257}, 11)});
  test::expect_gradients_match(
      [](auto& in) {
        return concat({in[0], in[1]}, 0);
      },
      {grad_input({1, 3, 5}, 4), grad_input({2, 3, 5}, 5)});
  test::expect_gradients_match(
      [](auto& in) {
        return concat({in[0], in[1]}, -1);
      },
      {grad_input({3, 255}, 6), grad_input({3, 257}, 7)});
  // An input that needs no gradient gets none; the same tensor twice accumulates both ranges.
  Tensor fixed = Tensor::uniform({2, 3}, -1, 1, 8, DType::f64);
  test::expect_gradients_match(
      [fixed](auto& in) {
        return concat({in[0], fixed, in[0]}, 1);
      },
      {grad_input({2, 4}, 9)});
}

}  // namespace
}  // namespace cromss
