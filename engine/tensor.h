// Tensor: a strided view (shape, strides, element offset) of a reference-counted Storage, with a
// runtime dtype and device, plus optional autograd metadata (requires_grad, grad, producing op).
// Views share storage; every op in the engine writes fresh, dense outputs: row-major, or for 4-D
// activations in the memory format of the op's input (core/memory_format.h; "channels_last"
// tensors keep their logical (N, C, H, W) shape and carry nhwc strides). Transfers between
// devices and dtypes are explicit (to(Device), to(DType)) and keep the memory format.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/memory_format.h"

namespace cromss {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
Shape dense_strides(const Shape& s, MemoryFormat f);  // f = nhwc needs 4 dims

// Owns one allocation on one device. Non-copyable; shared by views through shared_ptr.
// In guard mode (tests) every allocation is surrounded by kGuardBytes of a known pattern that is
// verified when the storage is freed; an overwritten guard increments guard_violations().
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

  static constexpr size_t kGuardBytes = 256;
  static constexpr unsigned char kGuardPattern = 0xA5;
  static void set_guard_mode(bool on);
  static int64_t guard_violations();

 private:
  void* base_ = nullptr;  // allocation start; data_ = base_ + guard
  void* data_ = nullptr;
  size_t bytes_ = 0;
  size_t guard_ = 0;
  Device device_;
};

struct AutogradMeta;

class Tensor {
 public:
  Tensor() = default;  // undefined tensor
  Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Shape strides, DType dtype);

  // Factories. Contents of empty() are unspecified.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu(),
                      MemoryFormat format = MemoryFormat::nchw);
  static Tensor empty_like(const Tensor& t);  // same shape, dtype, device and memory format
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32,
                     Device device = Device::cpu());
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Device device = Device::cpu());
  // Uniform in [lo, hi) / standard normal, from a counter-based generator: the same seed gives
  // the same values on every device and thread count.
  static Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed,
                        DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor normal(const Shape& shape, double mean, double stddev, uint64_t seed,
                       DType dtype = DType::f32, Device device = Device::cpu());

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  Device device() const;
  int64_t offset() const { return offset_; }
  bool is_contiguous() const;  // dense row-major (= nchw for 4-D)
  bool is_contiguous(MemoryFormat f) const;
  // nhwc for a 4-D tensor whose strides are exactly nhwc's, nchw otherwise; ops write their
  // outputs in this format of their input, so an nhwc network stays nhwc.
  MemoryFormat memory_format() const;
  std::string str() const;  // "f32[2, 3, 4] cpu", "bf16[8, 64, 32, 32] cuda:0 nhwc"
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  void* raw_data() const;
  template <class T>
  T* data() const {
    CROMSS_CHECK(dtype_of<T>() == dtype_, "data<{}>() on a {} tensor", dtype_name(dtype_of<T>()),
                 dtype_name(dtype_));
    return static_cast<T*>(raw_data());
  }
  template <class T>
  std::vector<T> to_vector() const;  // any device, any dtype; converts
  double item() const;               // the single element of a one-element tensor, as double

  Tensor to(Device device) const;  // copy to another device (same tensor if already there)
  Tensor to(DType dtype) const;    // convert (same tensor if already that dtype)
  Tensor contiguous() const;       // same tensor if already contiguous
  // Dense in format f: the same tensor if it already is, a restrided view when only size-1 dims
  // differ, a copy otherwise.
  Tensor contiguous(MemoryFormat f) const;
  Tensor clone() const;           // always a fresh dense copy, in the same memory format
  void copy_(const Tensor& src);  // same shape, any dtype/device; converts
  void zero_();
  void fill_(double value);

  // Views (share storage, no autograd): see engine/ops/shape_ops.h for differentiable reshape.
  Tensor view(const Shape& shape) const;  // contiguous only; one -1 allowed
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;  // drops dim

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);
  Tensor grad() const;                // undefined until a backward pass reaches this tensor
  void set_grad(const Tensor& grad);  // e.g. a view into a flat gradient buffer
  void zero_grad();
  bool is_leaf() const;
  Tensor detach() const;  // shares storage, drops autograd
  void backward() const;  // from a one-element tensor; see engine/autograd.h
  void backward(const Tensor& grad_output) const;  // from any tensor, seeded with grad_output
  const std::shared_ptr<AutogradMeta>& autograd_meta() const { return meta_; }
  std::shared_ptr<AutogradMeta>& mutable_autograd_meta() { return meta_; }

 private:
  Tensor dense_copy(MemoryFormat f) const;  // always a fresh copy, dense in f

  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Shape strides_;
  DType dtype_ = DType::f32;
  std::shared_ptr<AutogradMeta> meta_;
};

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  CROMSS_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
               "from_vector: {} values for shape {}", values.size(), shape_str(shape));
  Tensor t = empty(shape, dtype_of<T>(), Device::cpu());
  std::copy(values.begin(), values.end(), t.data<T>());
  return t.to(device);
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = to(Device::cpu()).contiguous().to(dtype_of<T>());
  const T* p = host.data<T>();
  return std::vector<T>(p, p + host.numel());
}

}  // namespace cromss
