// Typed errors. Every library status (CUDA, cuDNN, cuBLAS, NCCL, HDF5, LMDB) and every bad
// argument becomes an exception carrying file:line, the failing call and the library's message.
// Destructors never throw: they log through log_destructor_error instead.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace cromss {

class Error : public std::runtime_error {
 public:
  Error(const std::string& kind, const char* file, int line, const std::string& msg);
};

#define CROMSS_DECLARE_ERROR(Name)                                                              \
  class Name : public Error {                                                                   \
   public:                                                                                      \
    Name(const char* file, int line, const std::string& msg) : Error(#Name, file, line, msg) {} \
  };
CROMSS_DECLARE_ERROR(ValueError)   // bad argument, shape, dtype or flag
CROMSS_DECLARE_ERROR(IoError)      // files: HDF5, LMDB, PNG, GeoTIFF
CROMSS_DECLARE_ERROR(CudaError)    // CUDA runtime
CROMSS_DECLARE_ERROR(CudnnError)   // cuDNN
CROMSS_DECLARE_ERROR(CublasError)  // cuBLAS / cuBLASLt
CROMSS_DECLARE_ERROR(NcclError)    // NCCL
CROMSS_DECLARE_ERROR(MpiError)     // MPI
#undef CROMSS_DECLARE_ERROR

void log_destructor_error(const char* where, const std::string& what) noexcept;

// Thrown by CUDA-only paths in a CPU-only build (-DCROMSS_CUDA=OFF).
[[noreturn]] void throw_no_cuda(const char* file, int line);

}  // namespace cromss

#define CROMSS_THROW(Type, ...) throw ::cromss::Type(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))

// Argument check: CROMSS_CHECK(x.dim() == 4, "conv2d: input must be NCHW, got {}", x.shape_str())
#define CROMSS_CHECK(cond, ...)                         \
  do {                                                  \
    if (!(cond)) CROMSS_THROW(ValueError, __VA_ARGS__); \
  } while (0)
