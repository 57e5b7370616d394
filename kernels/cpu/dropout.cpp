// CPU reference of the dropout mask application (see kernels/dropout.h).
#include "kernels/dropout.h"

namespace cromss::cpu_kernels {

template <class T>
void dropout_apply(const T* x, T* out, int64_t n, int64_t group, uint64_t seed, float p) {
  const T scale = T(1) / (T(1) - static_cast<T>(p));
  for (int64_t i = 0; i < n; ++i)
    out[i] = cromss::dropout_apply(x[i], dropout_keep(seed, i, group, p), scale);
}

template void dropout_apply<float>(const float*, float*, int64_t, int64_t, uint64_t, float);
template void dropout_apply<double>(const double*, double*, int64_t, int64_t, uint64_t, float);

}  // namespace cromss::cpu_kernels
