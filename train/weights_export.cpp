// Checkpoint -> smp / timm key names (see weights_export.h).
#include "train/weights_export.h"

#include "core/error.h"
#include "train/checkpoint.h"

namespace cromss {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

ExportedWeights export_weights(const H5File& file, const ModelConfig& config,
                               const ExportOptions& o) {
  CROMSS_CHECK(o.names == "smp" || o.names == "timm", "--names {}: expected smp or timm", o.names);
  ExportedWeights out;
  out.branch = o.branch.empty() ? (config.two_branch() ? "" : config.input_type) : o.branch;
  CROMSS_CHECK(out.branch == "s1" || out.branch == "s2",
               "--branch {}: this {} model needs --branch s1 or s2",
               o.branch.empty() ? "<none>" : o.branch, config.input_type);
  CROMSS_CHECK(config.two_branch() || out.branch == config.input_type,
               "--branch {}: the checkpoint is a single-modal {} model", out.branch,
               config.input_type);
  const bool s1 = out.branch == "s1";
  out.in_channels = s1 && config.two_branch() ? ModelConfig::kS1Channels : config.n_channels;

  // (stored prefix, exported prefix) pairs, after the Lightning "net." prefix.
  std::vector<std::pair<std::string, std::string>> map;
  if (!config.two_branch()) {
    map = {{"encoder.", "encoder."},
           {"decoder.", "decoder."},
           {"segmentation_head.", "segmentation_head."}};
  } else if (config.fusion_type == "mid") {
    map = {{s1 ? "encoder1." : "encoder.", "encoder."},
           {"decoder.", "decoder."},
           {"segmentation_head.", "segmentation_head."}};
  } else {
    const std::string m = s1 ? "model1." : "model2.";
    map = {{m + "encoder.", "encoder."},
           {m + "decoder.", "decoder."},
           {m + "segmentation_head.", "segmentation_head."}};
  }
  const bool encoder_only = o.encoder_only || o.names == "timm";
  if (encoder_only) map.resize(1);
  if (o.names == "timm") map[0].second = "";

  for (const auto& [key, shape] : checkpoint_state_shapes(file)) {
    const std::string k = state_key(key);
    for (const auto& [from, to] : map) {
      if (k.empty() || !starts_with(k, from)) continue;
      out.tensors.emplace_back(to + k.substr(from.size()),
                               file.read(std::string(kModelGroup) + "/" + key));
      break;
    }
  }
  CROMSS_CHECK(!out.tensors.empty(), "{}: no tensor under net.{}* to export", file.path(),
               map[0].first);
  return out;
}

}  // namespace cromss
