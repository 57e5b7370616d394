// The op tables of the nhwc ("channels_last") tests, shared by the CPU test (nhwc equals nchw,
// tests/cpu/nhwc_ops_test.cpp) and the CUDA parity test (device nhwc equals CPU nchw,
// tests/gpu/nhwc_parity_test.cpp): every network-path op other than convolution and
// normalisation, one input (unary) or two same-shape inputs (binary); gtest prints a case by its
// name.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/ops/concat.h"
#include "engine/ops/dropout.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/pooling.h"
#include "engine/ops/resize.h"
#include "engine/ops/shape_ops.h"

namespace cromss::test {

struct NhwcUnaryCase {
  std::string name;
  Shape shape;
  std::function<Tensor(const Tensor&)> op;
  // The backward scatters with float atomics on CUDA (summation order varies): NMSE there.
  bool scatter_backward = false;
};

inline void PrintTo(const NhwcUnaryCase& c, std::ostream* os) {
  *os << c.name;
}

inline const std::vector<NhwcUnaryCase>& nhwc_unary_cases() {
  static const std::vector<NhwcUnaryCase> cases = {
      {"relu", {2, 5, 3, 4}, [](const Tensor& x) { return relu(x); }},
      {"scale", {2, 5, 3, 4}, [](const Tensor& x) { return scale(x, -1.5); }},
      {"max_pool_k3_s2_p1", {2, 6, 9, 7}, [](const Tensor& x) { return max_pool2d(x, 3, 2, 1); }},
      {"max_pool_k2_s2", {1, 3, 8, 6}, [](const Tensor& x) { return max_pool2d(x, 2, 2, 0); }},
      {"adaptive_avg_global",
       {2, 7, 5, 5},
       [](const Tensor& x) { return adaptive_avg_pool2d(x, 1, 1); }},
      {"adaptive_avg_ragged",
       {2, 4, 7, 6},
       [](const Tensor& x) { return adaptive_avg_pool2d(x, 3, 4); }},
      {"upsample_nearest2x", {2, 5, 3, 4}, [](const Tensor& x) { return upsample_nearest2x(x); }},
      {"bilinear_align_corners",
       {2, 3, 4, 5},
       [](const Tensor& x) { return resize_bilinear(x, 9, 7, true); },
       true},
      {"bilinear_half_pixel",
       {1, 6, 5, 3},
       [](const Tensor& x) { return resize_bilinear(x, 4, 8, false); },
       true},
      {"dropout", {2, 5, 3, 4}, [](const Tensor& x) { return dropout(x, 0.4, true, 77); }},
      {"dropout2d", {3, 6, 2, 3}, [](const Tensor& x) { return dropout2d(x, 0.5, true, 78); }},
      {"slice_channels", {2, 7, 3, 4}, [](const Tensor& x) { return slice(x, 1, 2, 4); }},
      {"slice_width", {2, 3, 4, 6}, [](const Tensor& x) { return slice(x, 3, 1, 3); }},
      {"slice_batch", {3, 3, 2, 2}, [](const Tensor& x) { return slice(x, 0, 1, 2); }},
  };
  return cases;
}

struct NhwcBinaryCase {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
};

inline void PrintTo(const NhwcBinaryCase& c, std::ostream* os) {
  *os << c.name;
}

// Operands of shape kNhwcBinaryShape; the output is in the first operand's format.
inline const Shape kNhwcBinaryShape{2, 5, 3, 4};

inline const std::vector<NhwcBinaryCase>& nhwc_binary_cases() {
  static const std::vector<NhwcBinaryCase> cases = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"concat_channels",
       [](const Tensor& a, const Tensor& b) {
         return concat({a, b, a}, 1);
       }},
      {"concat_height",
       [](const Tensor& a, const Tensor& b) {
         return concat({a, b}, 2);
       }},
  };
  return cases;
}

}  // namespace cromss::test
