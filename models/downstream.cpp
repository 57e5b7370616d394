// Fine-tuning model factory (see downstream.h).
#include "models/downstream.h"

#include "layers/dropout.h"
#include "models/config_json.h"
#include "models/deeplabv3plus.h"
#include "models/fpn.h"
#include "models/pspnet.h"
#include "models/unet.h"

namespace cromss {

void DownstreamConfig::validate() const {
  CROMSS_CHECK(model_framework == "unet" || model_framework == "pspnet" ||
                   model_framework == "deeplabv3plus" || model_framework == "fpn",
               "--model_framework '{}': expected unet, pspnet, deeplabv3plus or fpn",
               model_framework);
  ResNetSpec::parse(model_type);
  CROMSS_CHECK(n_channels > 0, "--n_channels {}: must be positive", n_channels);
  CROMSS_CHECK(n_classes > 0, "--n_classes {}: must be positive", n_classes);
}

nlohmann::json DownstreamConfig::to_json() const {
  return {{"model_framework", model_framework},
          {"model_type", model_type},
          {"n_channels", n_channels},
          {"n_classes", n_classes}};
}

DownstreamConfig DownstreamConfig::from_json(const nlohmann::json& config) {
  DownstreamConfig c;
  read_config_field(config, "model_framework", c.model_framework);
  read_config_field(config, "model_type", c.model_type);
  read_config_field(config, "n_channels", c.n_channels);
  read_config_field(config, "n_classes", c.n_classes);
  return c;
}

DownstreamConfig DownstreamConfig::infer_from_state(const std::map<std::string, Shape>& state) {
  DownstreamConfig c;
  if (state.count("decoder.psp.blocks.0.pool.1.0.weight"))
    c.model_framework = "pspnet";
  else if (state.count("decoder.aspp.0.convs.0.0.weight"))
    c.model_framework = "deeplabv3plus";
  else if (state.count("decoder.p5.weight"))
    c.model_framework = "fpn";
  else if (state.count("decoder.blocks.0.conv1.0.weight"))
    c.model_framework = "unet";
  else
    CROMSS_THROW(ValueError,
                 "the state is none of the fine-tuning models: no decoder.psp (PSPNet), "
                 "decoder.aspp (DeepLabV3+), decoder.p5 (FPN) or decoder.blocks (U-Net) keys");
  auto shape_of = [&](const std::string& key) -> const Shape& {
    auto it = state.find(key);
    CROMSS_CHECK(it != state.end() && it->second.size() == 4, "the state has no 4-d {}", key);
    return it->second;
  };
  c.n_channels = shape_of("encoder.conv1.weight")[1];
  c.n_classes = shape_of("segmentation_head.0.weight")[0];
  if (state.count("encoder.layer1.0.conv3.weight"))
    c.model_type = "resnet50";
  else if (state.count("encoder.layer3.5.conv1.weight"))
    c.model_type = "resnet34";
  else
    c.model_type = "resnet18";
  return c;
}

std::unique_ptr<SegmentationModel> build_segmentation_model(const DownstreamConfig& c,
                                                            uint64_t seed, bool initialize) {
  c.validate();
  std::unique_ptr<SegmentationModel> net;
  if (c.model_framework == "pspnet")
    net = std::make_unique<PSPNet>(c.model_type, c.n_channels, c.n_classes);
  else if (c.model_framework == "deeplabv3plus")
    net = std::make_unique<DeepLabV3Plus>(c.model_type, c.n_channels, c.n_classes);
  else if (c.model_framework == "fpn")
    net = std::make_unique<FPN>(c.model_type, c.n_channels, c.n_classes);
  else
    net = std::make_unique<Unet>(c.model_type, c.n_channels, c.n_classes);
  if (initialize) initialize_model(*net, seed);
  set_dropout_seed(*net, seed);
  return net;
}

}  // namespace cromss
