// What the oneDNN kernels share (kernels/onednn/onednn.h): the CPU engine and stream, grow-only
// scratch buffers per thread (reordered operands and oneDNN's scratchpad, reused across calls so
// large buffers are not faulted in again on every convolution), and the translation of oneDNN
// failures into cromss errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

namespace cromss::onednn_kernels {

// The process's CPU engine and in-order stream. The first call checks that the library runs on
// the OpenMP runtime (one thread pool with the engine's own OpenMP loops) and throws otherwise.
dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

// A 64-byte aligned host buffer that only grows; one per role and thread.
class ScratchBuffer {
 public:
  void* get(size_t bytes);

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  size_t capacity_ = 0;
};

// Roles of the per-thread scratch buffers of one oneDNN call.
enum class Scratch { first_input, second_input, output, scratchpad, count };
ScratchBuffer& scratch(Scratch role);

// A memory object of layout `md` on this thread's scratch buffer of `role`.
dnnl::memory scratch_memory(const dnnl::memory::desc& md, Scratch role);

// Runs f and rethrows a dnnl::error as cromss Error "OnednnError" naming the operation.
[[noreturn]] void throw_onednn_error(const char* op, const dnnl::error& e);
template <class F>
void run_onednn(const char* op, F&& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    throw_onednn_error(op, e);
  }
}

}  // namespace cromss::onednn_kernels
