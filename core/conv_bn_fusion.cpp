// See core/conv_bn_fusion.h.
#include "core/conv_bn_fusion.h"

#include <atomic>

namespace cromss {
namespace {
std::atomic<bool> g_conv_bn_fusion{false};
}  // namespace

void set_conv_bn_fusion(bool on) {
  g_conv_bn_fusion.store(on);
}

bool conv_bn_fusion() {
  return g_conv_bn_fusion.load();
}

}  // namespace cromss
