// Helpers for CUDA tests (label gpu): skip with a message when no device exists, and run an op
// with guard bytes around every buffer it allocates; names for table-driven tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "core/device.h"
#include "engine/tensor.h"

#define CROMSS_REQUIRE_CUDA_DEVICE()                                                            \
  do {                                                                                          \
    if (!::cromss::built_with_cuda()) GTEST_SKIP() << "built without CUDA (-DCROMSS_CUDA=OFF)"; \
    if (::cromss::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device on this machine";   \
  } while (0)

namespace cromss::test {

// Enables Storage guard mode for its lifetime and reports, on destruction, any guard bytes that
// were overwritten (as a gtest failure).
class GuardBytesScope {
 public:
  GuardBytesScope() : before_(Storage::guard_violations()) { Storage::set_guard_mode(true); }
  ~GuardBytesScope() {
    Storage::set_guard_mode(false);
    EXPECT_EQ(Storage::guard_violations(), before_) << "an op wrote outside its buffers";
  }

 private:
  int64_t before_;
};

// Every float dtype a CUDA kernel serves in both memory formats, the (DType, MemoryFormat)
// parameters of the parity suites, and their names "<dtype>_<format>".
inline auto dtypes_and_formats() {
  return ::testing::Combine(::testing::Values(DType::f32, DType::bf16, DType::f16),
                            ::testing::Values(MemoryFormat::nchw, MemoryFormat::nhwc));
}
struct DtypeFormatName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return std::string(dtype_name(std::get<0>(info.param))) + "_" +
           memory_format_name(std::get<1>(info.param));
  }
};

// Names the tests of a Combine(ValuesIn(cases), Values(dtypes...)) table "<case name>_<dtype>".
struct CaseDtypeName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return std::get<0>(info.param).name + "_" + dtype_name(std::get<1>(info.param));
  }
};

}  // namespace cromss::test
