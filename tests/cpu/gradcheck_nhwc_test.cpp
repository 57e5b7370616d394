// The finite-difference checker itself on an nhwc leaf (tests/gradcheck.h): it perturbs the
// leaf's storage element by element, so the analytic gradient it compares against must be read
// in the leaf's memory order too. Before that fix the logical-order gradient was compared with
// storage-order perturbations and a correct op failed for any nhwc leaf with C > 1.
#include <gtest/gtest.h>

#include "engine/ops/elementwise.h"
#include "tests/gradcheck.h"

namespace cromss {
namespace {

TEST(GradCheck, NhwcLeafIsCheckedInItsMemoryOrder) {
  Tensor x = Tensor::uniform({1, 3, 2, 2}, -1, 1, 5, DType::f64)
                 .contiguous(MemoryFormat::nhwc)
                 .set_requires_grad(true);
  const Tensor c = Tensor::uniform({1, 3, 2, 2}, 0.5, 2, 6, DType::f64);  // distinct per element
  test::expect_gradients_match([&](const std::vector<Tensor>& in) { return mul(in[0], c); }, {x});
}

}  // namespace
}  // namespace cromss
