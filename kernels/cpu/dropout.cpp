// CPU reference of the dropout mask application (see kernels/dropout.h).
#include "kernels/dropout.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {

template <class T>
void dropout_apply(const T* x, T* out, const DensePlanes& layout, int64_t group, uint64_t seed,
                   float p) {
  const T scale = T(1) / (T(1) - static_cast<T>(p));
  for (int64_t i = 0; i < layout.numel(); ++i)
    out[i] =
        cromss::dropout_apply(x[i], dropout_keep(seed, layout.logical_index(i), group, p), scale);
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void dropout_apply(const void* x, void* out, DType dtype, const DensePlanes& layout, int64_t group,
                   uint64_t seed, float p, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "dropout_apply", [&] {
    dropout_apply<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(out), layout, group, seed, p);
  });
}

}  // namespace cromss::cpu_kernels
