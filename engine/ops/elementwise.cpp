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
  if (a.device().is_cpu()) {
    CROMSS_DISPATCH_CPU_FLOAT(a.dtype(), name, [&] {
      cpu_kernels::binary(op, a.data<scalar_t>(), b.data<scalar_t>(), out.data<scalar_t>(),
                          a.numel());
    });
  } else {
    CROMSS_ON_CUDA(cuda_kernels::binary(op, a.raw_data(), b.raw_data(), out.raw_data(), a.dtype(),
                                        a.numel(), a.device().index));
  }
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
  if (x.device().is_cpu()) {
    CROMSS_DISPATCH_CPU_FLOAT(x.dtype(), "scale", [&] {
      cpu_kernels::scale(x.data<scalar_t>(), alpha, out.data<scalar_t>(), x.numel());
    });
  } else {
    CROMSS_ON_CUDA(cuda_kernels::scale(x.raw_data(), alpha, out.raw_data(), x.dtype(), x.numel(),
                                       x.device().index));
  }
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
  if (x.device().is_cpu()) {
    CROMSS_DISPATCH_CPU_FLOAT(x.dtype(), "relu", [&] {
      cpu_kernels::relu_forward(x.data<scalar_t>(), out.data<scalar_t>(), x.numel());
    });
  } else {
    CROMSS_ON_CUDA(cuda_kernels::relu_forward(x.raw_data(), out.raw_data(), x.dtype(), x.numel(),
                                              x.device().index));
  }
  if (any_requires_grad({&x})) {
    Tensor saved = out.detach();
    record_op("relu", out, {&x},
              [saved](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gi = Tensor::empty(g.shape(), g.dtype(), g.device());
                if (g.device().is_cpu()) {
                  CROMSS_DISPATCH_CPU_FLOAT(g.dtype(), "relu_backward", [&] {
                    cpu_kernels::relu_backward(g.data<scalar_t>(), saved.data<scalar_t>(),
                                               gi.data<scalar_t>(), g.numel());
                  });
                } else {
                  CROMSS_ON_CUDA(cuda_kernels::relu_backward(g.raw_data(), saved.raw_data(),
                                                             gi.raw_data(), g.dtype(), g.numel(),
                                                             g.device().index));
                }
                return {gi};
              });
  }
  return out;
}

void add_inplace(Tensor& dst, const Tensor& src) {
  check_float_inputs("add_inplace", {&dst, &src});
  check_same_shape("add_inplace", dst, src);
  if (dst.device().is_cpu()) {
    CROMSS_DISPATCH_CPU_FLOAT(dst.dtype(), "add_inplace", [&] {
      cpu_kernels::add_inplace(dst.data<scalar_t>(), src.data<scalar_t>(), dst.numel());
    });
  } else {
    CROMSS_ON_CUDA(cuda_kernels::add_inplace(dst.raw_data(), src.raw_data(), dst.dtype(),
                                             dst.numel(), dst.device().index));
  }
}

}  // namespace cromss
