// CPU entries of the copy kernels (kernels/copy.h): strided gather, dtype conversion, fill.
#include "kernels/copy.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace cromss::cpu_kernels {
namespace {

template <class T>
void convert_to(const void* src, DType src_type, T* dst, int64_t n) {
  switch (src_type) {
    case DType::f32:
      std::copy_n(static_cast<const float*>(src), n, dst);
      return;
    case DType::f64:
      std::copy_n(static_cast<const double*>(src), n, dst);
      return;
    case DType::i32:
      std::copy_n(static_cast<const int32_t*>(src), n, dst);
      return;
    case DType::i64:
      std::copy_n(static_cast<const int64_t*>(src), n, dst);
      return;
    case DType::u8:
      std::copy_n(static_cast<const uint8_t*>(src), n, dst);
      return;
    case DType::bf16: {
      auto s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(bf16_bits_to_float(s[i]));
      return;
    }
    case DType::f16: {
      auto s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(f16_bits_to_float(s[i]));
      return;
    }
  }
}

}  // namespace

void strided_copy(const void* src, void* dst, DType dtype, const StridedLayout& layout,
                  int64_t count, const Context&) {
  const int ndim = layout.ndim;
  const int64_t* sizes = layout.sizes;
  const int64_t* strides = layout.strides;
  const size_t es = dtype_size(dtype);
  const char* base = static_cast<const char*>(src);
  std::vector<int64_t> idx(ndim, 0);
  char* out = static_cast<char*>(dst);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0;
    for (int d = 0; d < ndim; ++d) off += idx[d] * strides[d];
    std::memcpy(out + i * es, base + off * es, es);
    for (int d = ndim - 1; d >= 0; --d) {
      if (++idx[d] < sizes[d]) break;
      idx[d] = 0;
    }
  }
}

void convert(const void* src, DType src_type, void* dst, DType dst_type, int64_t n,
             const Context&) {
  if (src_type == dst_type) {
    std::memcpy(dst, src, n * dtype_size(src_type));
    return;
  }
  switch (dst_type) {
    case DType::f32:
      convert_to(src, src_type, static_cast<float*>(dst), n);
      return;
    case DType::f64:
      convert_to(src, src_type, static_cast<double*>(dst), n);
      return;
    case DType::i32:
      convert_to(src, src_type, static_cast<int32_t*>(dst), n);
      return;
    case DType::i64:
      convert_to(src, src_type, static_cast<int64_t*>(dst), n);
      return;
    case DType::u8:
      convert_to(src, src_type, static_cast<uint8_t*>(dst), n);
      return;
    case DType::bf16:
    case DType::f16: {
      std::vector<float> tmp(n);
      convert_to(src, src_type, tmp.data(), n);
      auto d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i)
        d[i] = dst_type == DType::bf16 ? float_to_bf16_bits(tmp[i]) : float_to_f16_bits(tmp[i]);
      return;
    }
  }
}

void fill(void* dst, DType dtype, double value, int64_t count, const Context& ctx) {
  // The element's bytes in this dtype, then a fill of that many bytes per element (memset for
  // an all-zero pattern, e.g. zero_grad of the flat buffer).
  uint64_t pattern = 0;
  const size_t size = dtype_size(dtype);
  convert(&value, DType::f64, &pattern, dtype, 1, ctx);
  void* p = dst;
  const auto n = static_cast<size_t>(count);
  if (pattern == 0) {  // in 1 MiB chunks over the OpenMP threads when large
    constexpr int64_t kChunk = int64_t{1} << 20;
    const auto bytes = static_cast<int64_t>(n * size);
    const int64_t chunks = (bytes + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 4)
    for (int64_t c = 0; c < chunks; ++c)
      std::memset(static_cast<char*>(p) + c * kChunk, 0,
                  static_cast<size_t>(std::min(kChunk, bytes - c * kChunk)));
    return;
  }
  auto fill_as = [&](auto word) {
    std::memcpy(&word, &pattern, sizeof(word));
    std::fill_n(static_cast<decltype(word)*>(p), n, word);
  };
  switch (size) {
    case 1:
      fill_as(uint8_t{});
      break;
    case 2:
      fill_as(uint16_t{});
      break;
    case 4:
      fill_as(uint32_t{});
      break;
    default:
      fill_as(uint64_t{});
      break;
  }
}

}  // namespace cromss::cpu_kernels
