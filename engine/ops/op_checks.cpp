// Argument checks shared by op implementations.
#include "engine/ops/op_checks.h"

namespace cromss {

namespace {

// Floating, same device and dtype; each tensor dense in format_of(tensor).
template <class FormatOf>
void check_float_dense(const char* op, std::initializer_list<const Tensor*> inputs,
                       FormatOf format_of) {
  const Tensor* first = nullptr;
  for (const Tensor* t : inputs) {
    if (!t || !t->defined()) continue;
    CROMSS_CHECK(is_floating(t->dtype()), "{}: expected a floating tensor, got {}", op, t->str());
    const MemoryFormat f = format_of(*t);
    CROMSS_CHECK(t->is_contiguous(f), "{}: expected a dense {} tensor, got {}", op,
                 memory_format_name(f), t->str());
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

}  // namespace

void check_float_inputs(const char* op, std::initializer_list<const Tensor*> inputs) {
  check_float_dense(op, inputs, [](const Tensor&) { return MemoryFormat::nchw; });
}

MemoryFormat check_float_activations(const char* op, std::initializer_list<const Tensor*> inputs) {
  MemoryFormat format = MemoryFormat::nchw;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->dim() == 4) {
      format = t->memory_format();
      break;
    }
  check_float_dense(
      op, inputs, [format](const Tensor& t) { return t.dim() == 4 ? format : MemoryFormat::nchw; });
  return format;
}

MemoryFormat activation_format(const Tensor& t) {
  return t.dim() == 4 ? t.memory_format() : MemoryFormat::nchw;
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  CROMSS_CHECK(a.shape() == b.shape(), "{}: shapes {} and {} differ", op, shape_str(a.shape()),
               shape_str(b.shape()));
}

void check_dim(const char* op, const Tensor& t, int64_t dim, const char* what) {
  CROMSS_CHECK(t.dim() == dim, "{}: {} must have {} dims, got {}", op, what, dim, t.str());
}

}  // namespace cromss
