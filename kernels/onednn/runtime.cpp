// The oneDNN engine, stream and scratch buffers (see kernels/onednn/runtime.h).
#include "kernels/onednn/runtime.h"

#include <cstdlib>

#include "core/error.h"

namespace cromss::onednn_kernels {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine = [] {
    const dnnl_version_t* v = dnnl_version();
    if (v->cpu_runtime != DNNL_RUNTIME_OMP)
      throw Error("OnednnError", __FILE__, __LINE__,
                  fmt::format("oneDNN {}.{}.{} was built with CPU runtime {}, expected the "
                              "OpenMP runtime ({}) so that one thread pool serves every kernel",
                              v->major, v->minor, v->patch, v->cpu_runtime, DNNL_RUNTIME_OMP));
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

void ScratchBuffer::Free::operator()(void* p) const {
  std::free(p);
}

void* ScratchBuffer::get(size_t bytes) {
  if (bytes > capacity_) {
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p)
      throw Error("OnednnError", __FILE__, __LINE__,
                  fmt::format("oneDNN scratch: cannot allocate {} bytes", rounded));
    data_.reset(p);
    capacity_ = rounded;
  }
  return data_.get();
}

ScratchBuffer& scratch(Scratch role) {
  thread_local ScratchBuffer buffers[static_cast<int>(Scratch::count)];
  return buffers[static_cast<int>(role)];
}

dnnl::memory scratch_memory(const dnnl::memory::desc& md, Scratch role) {
  return dnnl::memory(md, cpu_engine(), scratch(role).get(md.get_size()));
}

void throw_onednn_error(const char* op, const dnnl::error& e) {
  throw Error("OnednnError", __FILE__, __LINE__,
              fmt::format("{}: oneDNN failed with status {}: {}", op, static_cast<int>(e.status),
                          e.what()));
}

}  // namespace cromss::onednn_kernels
