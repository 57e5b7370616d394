// Tensor, Storage and host-side conversions (see tensor.h).
#include "engine/tensor.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "core/allocator.h"
#include "core/cuda_api.h"
#include "core/random.cuh"
#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "kernels/copy.h"
#include "kernels/shape.h"

namespace cromss {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

namespace {
std::atomic<bool> g_guard_mode{false};
std::atomic<int64_t> g_guard_violations{0};
}  // namespace

void Storage::set_guard_mode(bool on) {
  g_guard_mode = on;
}
int64_t Storage::guard_violations() {
  return g_guard_violations;
}

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  guard_ = g_guard_mode ? kGuardBytes : 0;
  size_t total = bytes + 2 * guard_;
  base_ = allocator_for(device).allocate(total);
  data_ = static_cast<char*>(base_) + guard_;
  if (!guard_) return;
  char* end = static_cast<char*>(data_) + bytes;
  if (device.is_cpu()) {
    std::memset(base_, kGuardPattern, guard_);
    std::memset(end, kGuardPattern, guard_);
  } else {
    cuda_api::memset_device(base_, kGuardPattern, guard_, device.index);
    cuda_api::memset_device(end, kGuardPattern, guard_, device.index);
  }
}

Storage::~Storage() {
  if (!base_) return;
  if (guard_) {
    try {
      std::vector<unsigned char> head(guard_), tail(guard_);
      const char* end = static_cast<const char*>(data_) + bytes_;
      if (device_.is_cpu()) {
        std::memcpy(head.data(), base_, guard_);
        std::memcpy(tail.data(), end, guard_);
      } else {
        cuda_api::copy_device_to_host(head.data(), base_, guard_, device_.index);
        cuda_api::copy_device_to_host(tail.data(), end, guard_, device_.index);
      }
      for (size_t i = 0; i < guard_; ++i) {
        if (head[i] != kGuardPattern || tail[i] != kGuardPattern) {
          ++g_guard_violations;
          log_destructor_error("Storage", fmt::format("guard bytes overwritten around a {}-byte "
                                                      "buffer on {}",
                                                      bytes_, device_.str()));
          break;
        }
      }
    } catch (const std::exception& e) {
      log_destructor_error("Storage::~Storage", e.what());
    }
  }
  allocator_for(device_).deallocate(base_, bytes_ + 2 * guard_);
}

Tensor::Tensor(std::shared_ptr<Storage> storage, int64_t offset, Shape shape, Shape strides,
               DType dtype)
    : storage_(std::move(storage)),
      offset_(offset),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      dtype_(dtype) {}

Shape dense_strides(const Shape& s, MemoryFormat f) {
  if (f == MemoryFormat::nchw) return contiguous_strides(s);
  CROMSS_CHECK(s.size() == 4, "the nhwc memory format needs a 4-D shape (N, C, H, W), got {}",
               shape_str(s));
  const int64_t c = s[1], h = s[2], w = s[3];
  return {h * w * c, 1, w * c, c};
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device, MemoryFormat format) {
  for (int64_t d : shape) CROMSS_CHECK(d >= 0, "negative dimension in shape {}", shape_str(shape));
  Shape strides = dense_strides(shape, format);
  auto storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), device);
  return Tensor(std::move(storage), 0, shape, std::move(strides), dtype);
}

Tensor Tensor::empty_like(const Tensor& t) {
  return empty(t.shape(), t.dtype(), t.device(), t.memory_format());
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.zero_();
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, uint64_t seed, DType dtype,
                       Device device) {
  Tensor t = empty(shape, DType::f64, Device::cpu());
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = lo + (hi - lo) * uniform_double(seed, i);
  return t.to(dtype).to(device);
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, uint64_t seed, DType dtype,
                      Device device) {
  Tensor t = empty(shape, DType::f64, Device::cpu());
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) {  // Box-Muller on draws 2i, 2i+1
    double u1 = 1.0 - uniform_double(seed, 2 * i), u2 = uniform_double(seed, 2 * i + 1);
    p[i] = mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  return t.to(dtype).to(device);
}

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  if (d < 0) d += n;
  CROMSS_CHECK(d >= 0 && d < n, "dimension {} out of range for {}", d, str());
  return shape_[d];
}

Device Tensor::device() const {
  return storage_ ? storage_->device() : Device::cpu();
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

bool Tensor::is_contiguous(MemoryFormat f) const {
  if (f == MemoryFormat::nchw) return is_contiguous();
  if (dim() != 4) return false;
  const Shape want = dense_strides(shape_, f);
  for (int i = 0; i < 4; ++i)
    if (shape_[i] != 1 && strides_[i] != want[i]) return false;
  return true;
}

MemoryFormat Tensor::memory_format() const {
  return dim() == 4 && strides_ == dense_strides(shape_, MemoryFormat::nhwc) ? MemoryFormat::nhwc
                                                                             : MemoryFormat::nchw;
}

std::string Tensor::str() const {
  if (!defined()) return "undefined";
  return fmt::format("{}{} {}{}", dtype_name(dtype_), shape_str(shape_), device().str(),
                     memory_format() == MemoryFormat::nhwc ? " nhwc" : "");
}

void* Tensor::raw_data() const {
  CROMSS_CHECK(defined(), "raw_data() on an undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * dtype_size(dtype_);
}

double Tensor::item() const {
  CROMSS_CHECK(numel() == 1, "item() needs a one-element tensor, got {}", str());
  return to_vector<double>()[0];
}

Tensor Tensor::contiguous() const {
  return is_contiguous() ? *this : dense_copy(MemoryFormat::nchw);
}

Tensor Tensor::contiguous(MemoryFormat f) const {
  if (strides_ == dense_strides(shape_, f)) return *this;
  if (is_contiguous(f)) return Tensor(storage_, offset_, shape_, dense_strides(shape_, f), dtype_);
  return dense_copy(f);
}

Tensor Tensor::dense_copy(MemoryFormat f) const {
  Tensor out = empty(shape_, dtype_, device(), f);
  if (out.numel() == 0) return out;
  CROMSS_CHECK(dim() <= kMaxCopyDims, "copy: more than {} dims in {}", kMaxCopyDims, str());
  // The output read row-major is (N, C, H, W) for nchw and (N, H, W, C) for nhwc: walk the
  // source in that order.
  StridedLayout layout;
  layout.ndim = static_cast<int>(dim());
  const bool nhwc = f == MemoryFormat::nhwc;
  for (int d = 0; d < layout.ndim; ++d) {
    const int from = nhwc ? (d == 0 ? 0 : d == 3 ? 1 : d + 1) : d;  // nhwc: (N, H, W, C)
    layout.sizes[d] = shape_[from];
    layout.strides[d] = strides_[from];
  }
  dispatch(kernels::strided_copy, device(), raw_data(), out.raw_data(), dtype_, layout, numel());
  return out;
}

Tensor Tensor::clone() const {
  return dense_copy(memory_format());
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  const MemoryFormat format = memory_format();
  Tensor src = contiguous(format);
  Tensor out = empty(shape_, dtype_, target, format);
  size_t bytes = src.nbytes();
  if (bytes == 0) return out;
  if (src.device().is_cpu()) {
    cuda_api::copy_host_to_device(out.raw_data(), src.raw_data(), bytes, target.index);
  } else if (target.is_cpu()) {
    cuda_api::copy_device_to_host(out.raw_data(), src.raw_data(), bytes, src.device().index);
  } else {
    Tensor host = src.to(Device::cpu());
    return host.to(target);
  }
  return out;
}

Tensor Tensor::to(DType target) const {
  if (dtype_ == target) return *this;
  const MemoryFormat format = memory_format();
  Tensor src = contiguous(format);
  Tensor out = empty(shape_, target, device(), format);
  dispatch(kernels::convert, device(), src.raw_data(), dtype_, out.raw_data(), target, numel());
  return out;
}

void Tensor::copy_(const Tensor& src) {
  CROMSS_CHECK(src.shape() == shape_, "copy_: shape {} into {}", shape_str(src.shape()),
               shape_str(shape_));
  CROMSS_CHECK(is_contiguous(), "copy_: destination {} must be contiguous", str());
  Tensor converted = src.to(device()).to(dtype_).contiguous();
  if (numel() == 0 || converted.raw_data() == raw_data()) return;
  dispatch(kernels::copy_2d, device(), raw_data(), nbytes(), converted.raw_data(), nbytes(),
           nbytes(), int64_t{1});
}

void Tensor::zero_() {
  fill_(0.0);
}

void Tensor::fill_(double value) {
  CROMSS_CHECK(is_contiguous(), "fill_: tensor {} must be contiguous", str());
  if (numel() == 0) return;
  dispatch(kernels::fill, device(), raw_data(), dtype_, value, numel());
}

Tensor Tensor::view(const Shape& new_shape) const {
  CROMSS_CHECK(is_contiguous(), "view: tensor {} must be contiguous", str());
  Shape s = new_shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      CROMSS_CHECK(infer < 0, "view: more than one -1 in {}", shape_str(new_shape));
      infer = static_cast<int64_t>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) s[infer] = known == 0 ? 0 : numel() / known;
  CROMSS_CHECK(shape_numel(s) == numel(), "view: cannot view {} as {}", str(),
               shape_str(new_shape));
  return Tensor(storage_, offset_, s, contiguous_strides(s), dtype_);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  if (d < 0) d += dim();
  CROMSS_CHECK(d >= 0 && d < dim() && start >= 0 && length >= 0 && start + length <= shape_[d],
               "narrow(dim {}, start {}, length {}) out of range for {}", d, start, length, str());
  Shape s = shape_;
  s[d] = length;
  return Tensor(storage_, offset_ + start * strides_[d], s, strides_, dtype_);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  if (d < 0) d += dim();
  Tensor t = narrow(d, index, 1);
  Shape s = t.shape_, st = t.strides_;
  s.erase(s.begin() + d);
  st.erase(st.begin() + d);
  return Tensor(storage_, t.offset_, s, st, dtype_);
}

bool Tensor::requires_grad() const {
  return meta_ && meta_->requires_grad;
}

Tensor& Tensor::set_requires_grad(bool on) {
  CROMSS_CHECK(!on || is_floating(dtype_), "requires_grad on a non-floating tensor {}", str());
  if (!meta_) meta_ = std::make_shared<AutogradMeta>();
  meta_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  return meta_ ? meta_->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
  if (!meta_) meta_ = std::make_shared<AutogradMeta>();
  meta_->grad = g;
  meta_->grad_preset = g.defined();
}

void Tensor::zero_grad() {
  if (!meta_ || !meta_->grad.defined()) return;
  if (meta_->grad_preset)
    meta_->grad.zero_();
  else
    meta_->grad = Tensor();  // may alias another tensor's gradient: drop, never overwrite
}

bool Tensor::is_leaf() const {
  return !meta_ || meta_->is_leaf;
}

Tensor Tensor::detach() const {
  return Tensor(storage_, offset_, shape_, strides_, dtype_);
}

void Tensor::backward() const {
  CROMSS_CHECK(numel() == 1, "backward() needs a one-element tensor, got {}; pass grad_output",
               str());
  backward(Tensor::full(shape_, 1.0, dtype_, device()));
}

void Tensor::backward(const Tensor& grad_output) const {
  Tape::current().run_backward(*this, grad_output);
}

}  // namespace cromss
