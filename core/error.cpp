// Error formatting and the destructor-safe logger.
#include "core/error.h"

#include <cstdio>

namespace cromss {

Error::Error(const std::string& kind, const char* file, int line, const std::string& msg)
    : std::runtime_error(fmt::format("{}: {} ({}:{})", kind, msg, file, line)) {}

void log_destructor_error(const char* where, const std::string& what) noexcept {
  std::fprintf(stderr, "cromss: error in %s (ignored during cleanup): %s\n", where, what.c_str());
}

void throw_no_cuda(const char* file, int line) {
  throw CudaError(file, line, "this cromss was built without CUDA (-DCROMSS_CUDA=OFF)");
}
}  // namespace cromss
