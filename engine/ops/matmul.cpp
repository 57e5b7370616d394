// 2-D matrix product: dispatch and backward (see matmul.h). With out = op(a) op(b) and output
// gradient g (M, N):
//   a stored (M, K): da = g op(b)^T        a stored (K, M): da = op(b) g^T
//   b stored (K, N): db = op(a)^T g        b stored (N, K): db = g^T op(a)
// each written as one matmul with the right transpose flags.
#include "engine/ops/matmul.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/matmul.h"

namespace cromss {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  check_float_inputs("matmul", {&a, &b});
  check_dim("matmul", a, 2, "a");
  check_dim("matmul", b, 2, "b");
  const int64_t m = transpose_a ? a.size(1) : a.size(0);
  const int64_t k = transpose_a ? a.size(0) : a.size(1);
  const int64_t kb = transpose_b ? b.size(1) : b.size(0);
  const int64_t n = transpose_b ? b.size(0) : b.size(1);
  CROMSS_CHECK(k == kb,
               "matmul: inner sizes differ: op(a) is ({}, {}) from {}, op(b) is ({}, {}) from {}",
               m, k, a.str(), kb, n, b.str());
  Tensor out = Tensor::empty({m, n}, a.dtype(), a.device());
  dispatch(kernels::gemm, a.device(), transpose_a, transpose_b, m, n, k, a.raw_data(), b.raw_data(),
           out.raw_data(), a.dtype());
  if (any_requires_grad({&a, &b})) {
    Tensor sa = a.detach(), sb = b.detach();
    record_op("matmul", out, {&a, &b},
              [sa, sb, transpose_a, transpose_b](
                  const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                Tensor gc = g.contiguous();
                Tensor da, db;
                if (needs[0])
                  da = transpose_a ? matmul(sb, gc, transpose_b, true)
                                   : matmul(gc, sb, false, !transpose_b);
                if (needs[1])
                  db = transpose_b ? matmul(gc, sa, true, transpose_a)
                                   : matmul(sa, gc, !transpose_a, false);
                return {da, db};
              });
  }
  return out;
}

}  // namespace cromss
