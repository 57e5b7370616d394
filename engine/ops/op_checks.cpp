// Argument checks shared by op implementations.
#include "engine/ops/op_checks.h"

namespace cromss {

void check_float_inputs(const char* op, std::initializer_list<const Tensor*> inputs) {
  const Tensor* first = nullptr;
  for (const Tensor* t : inputs) {
    if (!t || !t->defined()) continue;
    CROMSS_CHECK(is_floating(t->dtype()), "{}: expected a floating tensor, got {}", op, t->str());
    CROMSS_CHECK(t->is_contiguous(), "{}: expected a contiguous tensor, got {}", op, t->str());
    if (!first) {
      first = t;
      continue;
    }
    CROMSS_CHECK(t->device() == first->device(), "{}: tensors on {} and {}", op,
                 first->device().str(), t->device().str());
    CROMSS_CHECK(t->dtype() == first->dtype(), "{}: dtypes {} and {} differ", op,
                 dtype_name(first->dtype()), dtype_name(t->dtype()));
  }
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  CROMSS_CHECK(a.shape() == b.shape(), "{}: shapes {} and {} differ", op, shape_str(a.shape()),
               shape_str(b.shape()));
}

void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what) {
  CROMSS_CHECK(t.dim() == dim, "{}: {} must have {} dims, got {}", op, what, dim, t.str());
}

}  // namespace cromss
