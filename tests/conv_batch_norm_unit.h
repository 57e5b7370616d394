// One conv + BN (+ add) (+ ReLU) unit for the tests of conv2d_batch_norm
// (engine/ops/conv2d_batch_norm.h): the CPU comparison with the composed ops and the CUDA parity
// suite describe their shapes with it.
#pragma once

#include <cstdint>

#include "engine/ops/conv2d.h"
#include "engine/tensor.h"

namespace cromss::test {

struct ConvBatchNormUnit {
  const char* name;
  Shape x_shape;        // (N, C_in, H, W)
  int64_t out, kernel;  // output channels, square kernel size
  Conv2dParams params;
  bool relu, residual;  // a residual is added before the ReLU
};

}  // namespace cromss::test
