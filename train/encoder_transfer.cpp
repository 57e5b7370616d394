// Encoder transfer (see encoder_transfer.h).
#include "train/encoder_transfer.h"

#include <fmt/format.h>

#include "train/checkpoint.h"
#include "train/model_file.h"

namespace cromss {

std::string pretrain_prefix(const std::string& tag) {
  if (tag == "rand") return "";
  if (tag == "mfs1") return "net.encoder1.";
  if (tag == "mfs2" || tag == "nss1" || tag == "nss2") return "net.encoder.";
  if (tag == "lfs1") return "net.model1.encoder.";
  if (tag == "lfs2") return "net.model2.encoder.";
  CROMSS_THROW(ValueError,
               "--pretrain_tag '{}': expected rand, mfs1, mfs2, lfs1, lfs2, nss1 or nss2 (the "
               "other upstream tags load non-cromss encoders)",
               tag);
}

int64_t load_pretrained_encoder(const std::string& ckpt_path, const std::string& tag,
                                ResNetEncoder& encoder) {
  const std::string prefix = pretrain_prefix(tag);
  if (prefix.empty()) return 0;
  const H5File file = open_model_file(ckpt_path);
  const std::map<std::string, Shape> in_file = checkpoint_state_shapes(file);
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor*, std::string>> loads;
  for (auto& s : encoder.state()) {
    const std::string key = prefix + s.name;
    auto it = in_file.find(key);
    if (it == in_file.end()) {
      problems.push_back(fmt::format("missing {}", key));
    } else if (it->second != s.tensor->shape()) {
      if (s.name == "conv1.weight" && it->second.size() == 4)
        problems.push_back(fmt::format("{} takes {} input channels, the model has --n_channels {}",
                                       key, it->second[1], s.tensor->size(1)));
      else
        problems.push_back(fmt::format("mis-shaped {}: file {}, model {}", key,
                                       shape_str(it->second), shape_str(s.tensor->shape())));
    } else {
      loads.emplace_back(s.tensor, key);
    }
  }
  if (!problems.empty()) {
    const size_t shown = std::min<size_t>(problems.size(), 8);
    std::string list;
    for (size_t i = 0; i < shown; ++i) list += "\n  " + problems[i];
    if (shown < problems.size())
      list += fmt::format("\n  ... and {} more", problems.size() - shown);
    CROMSS_THROW(ValueError, "{}: --pretrain_tag {} needs the encoder under '{}':{}", ckpt_path,
                 tag, prefix, list);
  }
  for (auto& [tensor, key] : loads)
    tensor->copy_(file.read(std::string(kModelGroup) + "/" + key).to(tensor->dtype()));
  return int64_t(loads.size());
}

}  // namespace cromss
