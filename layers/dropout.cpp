// Dropout layers (see dropout.h).
#include "layers/dropout.h"

#include "core/error.h"
#include "engine/ops/dropout.h"

namespace cromss {

Dropout::Dropout(double p, bool channelwise) : p_(p), channelwise_(channelwise) {
  CROMSS_CHECK(p >= 0 && p < 1, "Dropout: probability {} must be in [0, 1)", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!training() || p_ == 0) return x;
  const uint64_t seed = seed_for_name(seed_, std::to_string(calls_++));
  return channelwise_ ? dropout2d(x, p_, true, seed) : dropout(x, p_, true, seed);
}

namespace {
void seed_subtree(Module& module, const std::string& path, uint64_t seed) {
  if (auto* d = dynamic_cast<Dropout*>(&module)) d->set_seed(seed_for_name(seed, path));
  for (auto& [name, child] : module.named_children())
    seed_subtree(*child, path.empty() ? name : path + "." + name, seed);
}
}  // namespace

void set_dropout_seed(Module& model, uint64_t seed) {
  seed_subtree(model, "", seed);
}

}  // namespace cromss
