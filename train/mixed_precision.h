// Mixed-precision weights for the CUDA training step (DESIGN.md "Mixed precision", issue 6
// item 3): the fp32 master weights and gradients stay in the ParameterStore's flat buffers (the
// optimizer, loss scaler, all-reduce and checkpoints only ever see fp32); the model computes with
// a bf16/f16 copy. Every parameter slot except BatchNorm's affine weight/bias (batch_norm2d takes
// fp32 weight, bias and running statistics with a low-precision input) is re-pointed to a view of
// one flat low-precision buffer whose gradients accumulate into a flat low-precision gradient
// buffer. Per optimizer step:
//   refresh()            low copy <- fp32 master (one conversion over the flat buffer)
//   forward/backward     in low precision
//   accumulate_grads()   fp32 flat grads += low grads, low grads zeroed (after every backward,
//                        so that micro-batches accumulate in fp32)
// The BN entries of the low buffers are never used; their gradients stay zero.
// bind_master()/bind_low() swap the slots back and forth (checkpoints write the fp32 master).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "layers/parameter_store.h"

namespace cromss {

// State keys ("encoder.bn1.weight", ...) of the affine parameters of every BatchNorm2d in `root`.
std::set<std::string> batch_norm_parameter_names(Module& root);

class MixedPrecisionWeights {
 public:
  // low: DType::bf16 or DType::f16.
  MixedPrecisionWeights(Module& root, ParameterStore& store, DType low);

  DType dtype() const { return low_; }
  void refresh();
  void accumulate_grads();
  void bind_master();  // slots = views of the fp32 flat buffer
  void bind_low();     // slots = views of the low-precision buffer (BN affine params stay fp32)

 private:
  ParameterStore& store_;
  DType low_;
  Tensor low_params_, low_grads_;
  std::vector<bool> is_bn_;  // per store entry
};

}  // namespace cromss
