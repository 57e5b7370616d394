// GroupNorm layer (see group_norm.h).
#include "layers/group_norm.h"

#include "core/error.h"
#include "engine/ops/group_norm.h"

namespace cromss {

GroupNorm::GroupNorm(int64_t num_groups, int64_t channels)
    : num_groups_(num_groups),
      weight_(register_parameter("weight", Tensor::full({channels}, 1.0), {Init::Kind::ones})),
      bias_(register_parameter("bias", Tensor::zeros({channels}), {Init::Kind::zeros})) {
  CROMSS_CHECK(num_groups > 0 && channels % num_groups == 0,
               "GroupNorm: {} channels do not split into {} groups", channels, num_groups);
}

Tensor GroupNorm::forward(const Tensor& x) {
  return group_norm(x, num_groups_, weight_, bias_, kEps);
}

}  // namespace cromss
