// ParameterStore: every parameter of a module tree in ONE contiguous buffer (f32; f64 for
// float64 reference runs - all parameters share one dtype), and every
// gradient in a second one with the same layout (DESIGN.md "Memory"): one fused optimizer
// kernel, one memset for zero_grad, one all-reduce, one checkpoint write.
//
// Construction copies each parameter's current value into its slice of the flat buffer and
// replaces the module's tensor by a view of that slice (requires_grad on), whose gradient is
// preset to the matching view of the flat gradient buffer (Tensor::set_grad), so backward
// accumulates straight into it. Slices start at multiples of kAlignment elements (256 bytes);
// the gaps are zero in both buffers and stay zero. Buffers (BN running stats) are not part of
// the store: they stay separate tensors of the module tree.
#pragma once

#include <string>
#include <vector>

#include "layers/module.h"

namespace cromss {

class ParameterStore {
 public:
  static constexpr int64_t kAlignment = 64;

  struct Entry {
    std::string name;  // state_dict key
    int64_t offset;    // first element in the flat buffers
    Shape shape;
    Tensor* slot;  // the module's parameter tensor (a view of flat_parameters())
    int64_t numel() const { return shape_numel(shape); }
  };

  explicit ParameterStore(Module& root);
  ParameterStore(const ParameterStore&) = delete;
  ParameterStore& operator=(const ParameterStore&) = delete;

  const std::vector<Entry>& entries() const { return entries_; }
  int64_t parameter_count() const;  // sum of the parameters' sizes (gaps excluded)
  Tensor& flat_parameters() { return flat_params_; }
  Tensor& flat_gradients() { return flat_grads_; }
  Device device() const { return flat_params_.device(); }

  // The slice of `flat` (any buffer with this store's layout, e.g. an Adam moment) for `entry`.
  static Tensor view_of(const Tensor& flat, const Entry& entry);
  // A fresh zero buffer with this store's layout on its device (optimizer state).
  Tensor zeros_like_flat(DType dtype) const;

  void zero_grad() { flat_grads_.zero_(); }
  // Moves both flat buffers and the module's float buffers to `device`, keeping the layout and
  // every parameter's requires_grad flag.
  void to(Device device);

 private:
  void bind_views();

  Module& root_;
  std::vector<Entry> entries_;
  Tensor flat_params_;
  Tensor flat_grads_;
};

}  // namespace cromss
