// Scratch memory for one kernel call: taken from the device's allocator (core/allocator.h: the
// caching allocator on CUDA, aligned malloc on the CPU) and given back when the Scratch goes out
// of scope, exceptions included. The one way kernels get temporary memory. Reuse follows the
// allocator's stream contract (core/allocator.h): scratch taken inside a StreamScope belongs to
// that side stream and is handed out again only for work queued there, so kernels need no events
// of their own.
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "core/context.h"

namespace cromss {

class Scratch {
 public:
  Scratch(const Context& ctx, size_t bytes)
      : allocator_(&allocator_for(ctx.device())),
        data_(bytes > 0 ? allocator_->allocate(bytes) : nullptr),
        bytes_(bytes) {}
  ~Scratch() {
    if (data_ != nullptr) allocator_->deallocate(data_, bytes_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  void* data() const { return data_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }

 private:
  Allocator* allocator_;
  void* data_;
  size_t bytes_;
};

}  // namespace cromss
