// Finite-difference gradient checks of the elementwise ops (add, sub, mul, scale, relu).
#include <gtest/gtest.h>

#include "engine/ops/elementwise.h"
#include "tests/gradcheck.h"

namespace cromss {
namespace {

using test::grad_input;

TEST(ElementwiseGrad, BinaryOps) {
  const Shape s{2, 33, 5};
  test::expect_gradients_match([](auto& in) { return add(in[0], in[1]); },
                               {grad_input(s, 1), grad_input(s, 2)});
  test::expect_gradients_match([](auto& in) { return sub(in[0], in[1]); },
                               {grad_input(s, 3), grad_input(s, 4)});
  test::expect_gradients_match([](auto& in) { return mul(in[0], in[1]); },
                               {grad_input(s, 5), grad_input(s, 6)});
  test::expect_gradients_match([](auto& in) { return mul(in[0], in[0]); }, {grad_input(s, 7)});
}

TEST(ElementwiseGrad, ScaleAndRelu) {
  test::expect_gradients_match([](auto& in) { return scale(in[0], -0.75); }, {grad_input({31}, 8)});
  // Inputs kept away from the kink at 0 so central differences are valid.
  Tensor x = Tensor::uniform({1, 255, 7}, 0.05, 1, 9, DType::f64);
  Tensor sign = Tensor::uniform({1, 255, 7}, -1, 1, 10, DType::f64);
  std::vector<double> xv = x.to_vector<double>(), sv = sign.to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) xv[i] *= sv[i] < 0 ? -1 : 1;
  test::expect_gradients_match(
      [](auto& in) { return relu(in[0]); },
      {Tensor::from_vector<double>(xv, {1, 255, 7}).set_requires_grad(true)});
}

}  // namespace
}  // namespace cromss
