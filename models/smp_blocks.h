// Building blocks the smp 0.3.3 decoders share, with smp's module layout (so state_dict keys
// match) and smp's initialisation rules:
//  * conv2d_relu: smp.base.modules.Conv2dReLU = Sequential(conv (bias only without BN),
//    BatchNorm2d or Identity, ReLU) -> keys "<name>.0.*", "<name>.1.*".
//  * separable_conv2d: smp SeparableConv2d = Sequential(depthwise k x k conv (groups = C_in,
//    no bias), pointwise 1x1 conv) -> keys "<name>.0.weight", "<name>.1.weight[, bias]".
//  * smp_initialize_decoder / smp_initialize_head: smp.base.initialization (every Conv2d of the
//    subtree kaiming-uniform fan_in relu with zero bias, resp. xavier-uniform with zero bias;
//    BatchNorm/GroupNorm stay 1/0). torch_default_init restores torch's Conv2d defaults (smp 0.3.3
//    DeepLabV3+ never calls initialize(), so its head keeps them).
//  * check_model_input: smp's check_input_shape (H and W divisible by the output stride).
#pragma once

#include <memory>
#include <string>

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/sequential.h"

namespace cromss {

std::unique_ptr<Sequential> conv2d_relu(int64_t in, int64_t out, int64_t kernel, int64_t padding,
                                        bool batchnorm);
std::unique_ptr<Sequential> separable_conv2d(int64_t in, int64_t out, int64_t kernel,
                                             int64_t padding, int64_t dilation, bool bias);

void smp_initialize_decoder(Module& module);
void smp_initialize_head(Module& module);
void torch_default_init(Module& module);

// ValueError naming `what` unless x is NCHW with `channels` channels and H, W divisible by
// `stride`.
void check_model_input(const Tensor& x, int64_t channels, int64_t stride, const std::string& what);

}  // namespace cromss
