// Elementwise ops: device dispatch and backward (see elementwise.h).
#include "engine/ops/elementwise.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/elementwise.h"

namespace cromss {
namespace {

Tensor binary_forward(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_float_inputs(name, {&a, &b});
  check_same_shape(name, a, b);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  dispatch(kernels::binary, a.device(), op, a.raw_data(), b.raw_data(), out.raw_data(), a.dtype(),
           a.numel());
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::add, "add", a, b);
  if (any_requires_grad({&a, &b}))
    record_op("add", out, {&a, &b},
              [](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {g, g};
              });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::sub, "sub", a, b);
  if (any_requires_grad({&a, &b}))
    record_op("sub", out, {&a, &b},
              [](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {g, needs[1] ? scale(g, -1.0) : Tensor()};
              });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::mul, "mul", a, b);
  if (any_requires_grad({&a, &b})) {
    Tensor sa = a.detach(), sb = b.detach();
    record_op("mul", out, {&a, &b},
              [sa, sb](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? mul(g, sb) : Tensor(), needs[1] ? mul(g, sa) : Tensor()};
              });
  }
  return out;
}

Tensor scale(const Tensor& x, double alpha) {
  check_float_inputs("scale", {&x});
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(kernels::scale, x.device(), x.raw_data(), alpha, out.raw_data(), x.dtype(), x.numel());
  if (any_requires_grad({&x}))
    record_op("scale", out, {&x},
              [alpha](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {scale(g, alpha)};
              });
  return out;
}

Tensor relu(const Tensor& x) {
  check_float_inputs("relu", {&x});
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(kernels::relu_forward, x.device(), x.raw_data(), out.raw_data(), x.dtype(), x.numel());
  if (any_requires_grad({&x})) {
    Tensor saved = out.detach();
    record_op("relu", out, {&x},
              [saved](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gi = Tensor::empty(g.shape(), g.dtype(), g.device());
                dispatch(kernels::relu_backward, g.device(), g.raw_data(), saved.raw_data(),
                         gi.raw_data(), g.dtype(), g.numel());
                return {gi};
              });
  }
  return out;
}

void add_inplace(Tensor& dst, const Tensor& src) {
  check_float_inputs("add_inplace", {&dst, &src});
  check_same_shape("add_inplace", dst, src);
  dispatch(kernels::add_inplace, dst.device(), dst.raw_data(), src.raw_data(), dst.dtype(),
           dst.numel());
}

}  // namespace cromss
