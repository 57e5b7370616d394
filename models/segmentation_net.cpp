// The CromSS networks and their factory (see segmentation_net.h).
#include "models/segmentation_net.h"

#include "models/config_json.h"

namespace cromss {

void ModelConfig::validate() const {
  CROMSS_CHECK(input_type == "s1" || input_type == "s2" || input_type == "s12",
               "--input_type '{}': expected s1, s2 or s12", input_type);
  CROMSS_CHECK(fusion_type == "mid" || fusion_type == "late",
               "--fusion_type '{}': expected mid or late", fusion_type);
  ResNetSpec::parse(model_type);
  CROMSS_CHECK(n_channels > 0, "--n_channels {}: must be positive", n_channels);
  CROMSS_CHECK(n_classes > 0, "--n_classes {}: must be positive", n_classes);
}

nlohmann::json ModelConfig::to_json() const {
  return {{"input_type", input_type},
          {"fusion_type", fusion_type},
          {"model_type", model_type},
          {"n_channels", n_channels},
          {"n_classes", n_classes}};
}

ModelConfig ModelConfig::from_json(const nlohmann::json& config) {
  ModelConfig c;
  read_config_field(config, "input_type", c.input_type);
  read_config_field(config, "fusion_type", c.fusion_type);
  read_config_field(config, "model_type", c.model_type);
  read_config_field(config, "n_channels", c.n_channels);
  read_config_field(config, "n_classes", c.n_classes);
  return c;
}

ModelConfig ModelConfig::infer_from_state(const std::map<std::string, Shape>& state,
                                          ModelConfig base) {
  ModelConfig c = std::move(base);
  std::string s2_encoder, head;
  bool single = false;
  if (state.count("encoder1.conv1.weight")) {
    c.input_type = "s12", c.fusion_type = "mid", s2_encoder = "encoder.";
    head = "segmentation_head.0.weight";
  } else if (state.count("model1.encoder.conv1.weight")) {
    c.input_type = "s12", c.fusion_type = "late", s2_encoder = "model2.encoder.";
    head = "model2.segmentation_head.0.weight";
  } else if (state.count("encoder.conv1.weight")) {
    s2_encoder = "encoder.", head = "segmentation_head.0.weight", single = true;
  } else {
    CROMSS_THROW(ValueError,
                 "the state has none of encoder1.conv1.weight (mid fusion), "
                 "model1.encoder.conv1.weight (late fusion) or encoder.conv1.weight (U-Net)");
  }
  auto shape_of = [&](const std::string& key) -> const Shape& {
    auto it = state.find(key);
    CROMSS_CHECK(it != state.end() && it->second.size() == 4, "the state has no 4-d {}", key);
    return it->second;
  };
  c.n_channels = shape_of(s2_encoder + "conv1.weight")[1];
  c.n_classes = shape_of(head)[0];
  if (state.count(s2_encoder + "layer1.0.conv3.weight"))
    c.model_type = "resnet50";
  else if (state.count(s2_encoder + "layer3.5.conv1.weight"))
    c.model_type = "resnet34";
  else
    c.model_type = "resnet18";
  // A single-modal model keeps the input type its config names; without one, 2 bands mean S1.
  if (single && c.input_type == "s12") c.input_type = c.n_channels == kS1Channels ? "s1" : "s2";
  return c;
}

MidFusionUnet::MidFusionUnet(const ModelConfig& config)
    : SegmentationNet(config),
      encoder1_(add_child("encoder1", std::make_unique<ResNetEncoder>(config.model_type,
                                                                      ModelConfig::kS1Channels))),
      encoder_(add_child("encoder",
                         std::make_unique<ResNetEncoder>(config.model_type, config.n_channels))),
      decoder_(add_child("decoder", std::make_unique<UnetDecoder>(encoder_.out_channels()))),
      head_(add_child("segmentation_head", std::make_unique<SegmentationHead>(
                                               decoder_.out_channels(), config.n_classes))) {
  CROMSS_CHECK(encoder1_.out_channels().back() == encoder_.out_channels().back(),
               "middle fusion: both encoders must share the decoder's channels");
}

BranchLogits MidFusionUnet::forward(const Tensor& s1, const Tensor& s2) {
  check_unet_input(s1, encoder1_.in_channels(), "S1 input");
  check_unet_input(s2, encoder_.in_channels(), "S2 input");
  // The encoders are independent: they may overlap on two streams. Then two separate passes
  // through the shared decoder and head, S1 first (method-spec.md §1.2).
  std::vector<Tensor> features1, features2;
  run_branches(
      s1, [&] { features1 = encoder1_.forward(enter(s1)); },
      [&] { features2 = encoder_.forward(enter(s2)); });
  BranchLogits out;
  out.s1 = leave(head_.forward(decoder_.forward(features1)));
  out.s2 = leave(head_.forward(decoder_.forward(features2)));
  return out;
}

LateFusionUnet::LateFusionUnet(const ModelConfig& config)
    : SegmentationNet(config),
      model1_(add_child(
          "model1",
          std::make_unique<Unet>(config.model_type, ModelConfig::kS1Channels, config.n_classes))),
      model2_(add_child("model2", std::make_unique<Unet>(config.model_type, config.n_channels,
                                                         config.n_classes))) {}

BranchLogits LateFusionUnet::forward(const Tensor& s1, const Tensor& s2) {
  check_unet_input(s1, model1_.encoder().in_channels(), "S1 input");
  check_unet_input(s2, model2_.encoder().in_channels(), "S2 input");
  // Two complete U-Nets: the whole S1 model may overlap the S2 one on two streams.
  BranchLogits out;
  run_branches(
      s1, [&] { out.s1 = model1_.forward(s1); }, [&] { out.s2 = model2_.forward(s2); });
  return out;
}

void LateFusionUnet::set_memory_format(MemoryFormat f) {
  SegmentationNet::set_memory_format(f);
  model1_.set_memory_format(f);
  model2_.set_memory_format(f);
}

SingleUnet::SingleUnet(const ModelConfig& config)
    : SegmentationNet(config),
      encoder_(add_child("encoder",
                         std::make_unique<ResNetEncoder>(config.model_type, config.n_channels))),
      decoder_(add_child("decoder", std::make_unique<UnetDecoder>(encoder_.out_channels()))),
      head_(add_child("segmentation_head", std::make_unique<SegmentationHead>(
                                               decoder_.out_channels(), config.n_classes))) {}

BranchLogits SingleUnet::forward(const Tensor& s1, const Tensor& s2) {
  const bool is_s1 = config().input_type == "s1";
  const Tensor& x = is_s1 ? s1 : s2;
  check_unet_input(x, encoder_.in_channels(), is_s1 ? "S1 input" : "S2 input");
  Tensor logits = leave(head_.forward(decoder_.forward(encoder_.forward(enter(x)))));
  BranchLogits out;
  (is_s1 ? out.s1 : out.s2) = logits;
  return out;
}

std::unique_ptr<SegmentationNet> build_model(const ModelConfig& config, uint64_t seed,
                                             bool initialize) {
  config.validate();
  std::unique_ptr<SegmentationNet> net;
  if (!config.two_branch())
    net = std::make_unique<SingleUnet>(config);
  else if (config.fusion_type == "mid")
    net = std::make_unique<MidFusionUnet>(config);
  else
    net = std::make_unique<LateFusionUnet>(config);
  if (initialize) initialize_model(*net, seed);
  return net;
}

}  // namespace cromss
