// Elementwise ops: device dispatch and backward (see elementwise.h). The kernels are flat loops
// over n elements, which serve any memory format as long as every operand has the same one: a
// 4-D operand in the other format than the first is converted to the first's explicitly, the
// output is in the first's format, and each input gradient returns in its input's format.
#include "engine/ops/elementwise.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/elementwise.h"

namespace cromss {
namespace {

// t dense in `like`'s format (t itself when it already is).
Tensor in_format_of(const Tensor& t, const Tensor& like) {
  return t.dim() == 4 && like.dim() == 4 ? t.contiguous(like.memory_format()) : t;
}

Tensor binary_forward(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_same_shape(name, a, b);
  const Tensor bf = in_format_of(b, a);
  check_float_activations(name, {&a, &bf});
  Tensor out = Tensor::empty_like(a);
  dispatch(kernels::binary, a.device(), op, a.raw_data(), bf.raw_data(), out.raw_data(), a.dtype(),
           a.numel());
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::add, "add", a, b);
  if (any_requires_grad({&a, &b})) {
    const MemoryFormat fa = activation_format(a), fb = activation_format(b);
    record_op(
        "add", out, {&a, &b},
        [fa, fb](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
          return {needs[0] ? g.contiguous(fa) : Tensor(), needs[1] ? g.contiguous(fb) : Tensor()};
        });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::sub, "sub", a, b);
  if (any_requires_grad({&a, &b})) {
    const MemoryFormat fa = activation_format(a), fb = activation_format(b);
    record_op("sub", out, {&a, &b},
              [fa, fb](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? g.contiguous(fa) : Tensor(),
                        needs[1] ? scale(g.contiguous(fb), -1.0) : Tensor()};
              });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::mul, "mul", a, b);
  if (any_requires_grad({&a, &b})) {
    Tensor sa = a.detach(), sb = b.detach();
    record_op("mul", out, {&a, &b},
              [sa, sb](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? mul(in_format_of(g, sa), sb) : Tensor(),
                        needs[1] ? mul(in_format_of(g, sb), sa) : Tensor()};
              });
  }
  return out;
}

Tensor scale(const Tensor& x, double alpha) {
  check_float_activations("scale", {&x});
  Tensor out = Tensor::empty_like(x);
  dispatch(kernels::scale, x.device(), x.raw_data(), alpha, out.raw_data(), x.dtype(), x.numel());
  if (any_requires_grad({&x}))
    record_op("scale", out, {&x},
              [alpha, f = activation_format(x)](const Tensor& g, const std::vector<bool>&)
                  -> std::vector<Tensor> { return {scale(g.contiguous(f), alpha)}; });
  return out;
}

Tensor relu(const Tensor& x) {
  check_float_activations("relu", {&x});
  Tensor out = Tensor::empty_like(x);
  dispatch(kernels::relu_forward, x.device(), x.raw_data(), out.raw_data(), x.dtype(), x.numel());
  if (any_requires_grad({&x})) {
    Tensor saved = out.detach();
    record_op("relu", out, {&x},
              [saved](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                const Tensor gy = in_format_of(g, saved);
                Tensor gi = Tensor::empty_like(saved);
                dispatch(kernels::relu_backward, gy.device(), gy.raw_data(), saved.raw_data(),
                         gi.raw_data(), gy.dtype(), gy.numel());
                return {gi};
              });
  }
  return out;
}

void add_inplace(Tensor& dst, const Tensor& src) {
  check_same_shape("add_inplace", dst, src);
  const Tensor s = in_format_of(src, dst);
  check_float_activations("add_inplace", {&dst, &s});
  dispatch(kernels::add_inplace, dst.device(), dst.raw_data(), s.raw_data(), dst.dtype(),
           dst.numel());
}

}  // namespace cromss
