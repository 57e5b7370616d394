// The networks CromSS trains, behind one interface (method-spec.md §1.2-1.5), chosen by upstream's
// model flags (--input_type s1|s2|s12, --fusion_type mid|late, --model_type, --n_channels,
// --n_classes):
//  * MidFusionUnet (s12, mid): encoder1 (S1, 2 ch) and encoder (S2, n_channels) with ONE shared
//    decoder and segmentation_head, run once per modality (two separate passes: the shared BN
//    layers see the S1 batch, then the S2 batch; no feature fusion).
//  * LateFusionUnet (s12, late): model1 (S1) and model2 (S2), two complete U-Nets.
//  * SingleUnet (s1 or s2): one smp.Unet with n_channels inputs; its logits are named after the
//    input type.
// State keys are the upstream module's state_dict keys without Lightning's "net." prefix.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/stream_fork.h"
#include "models/unet.h"

namespace cromss {

struct ModelConfig {
  std::string input_type = "s12";
  std::string fusion_type = "mid";
  std::string model_type = "resnet50";
  int64_t n_channels = 13;  // S2 bands (or the single modality's channels)
  int64_t n_classes = 9;
  static constexpr int64_t kS1Channels = 2;

  bool two_branch() const { return input_type == "s12"; }
  bool has_s1() const { return input_type != "s2"; }
  bool has_s2() const { return input_type != "s1"; }
  void validate() const;  // ValueError naming the flag
  nlohmann::json to_json() const;
  // Reads the model flags from a run config (missing ones keep their defaults).
  static ModelConfig from_json(const nlohmann::json& config);
  // What a state (module keys without "net.", with shapes) tells about the model: encoder1 ->
  // mid fusion, model1 -> late fusion, otherwise single-modal; n_channels from the S2 (or single)
  // conv1, n_classes from the head, model_type from the block layout. Fields the keys cannot tell
  // (the single model's input_type when ambiguous) keep `base`'s values. ValueError when the
  // keys are not a U-Net of this engine.
  static ModelConfig infer_from_state(const std::map<std::string, Shape>& state, ModelConfig base);
};

struct BranchLogits {
  Tensor s1;  // undefined when the model has no S1 branch
  Tensor s2;
};

class SegmentationNet : public Module, public NetworkFormat {
 public:
  explicit SegmentationNet(ModelConfig config) : config_(std::move(config)) {}
  const ModelConfig& config() const { return config_; }
  // Inputs of absent branches are ignored (pass an undefined Tensor). The logits are nchw; the
  // activations in between in memory_format() (NetworkFormat, --channels_last).
  virtual BranchLogits forward(const Tensor& s1, const Tensor& s2) = 0;
  // Two-branch models: queue the S1 branch's forward on the context's branch stream, so that it
  // overlaps the S2 branch's on the device (--branch_streams; off by default). The same ops run
  // in the same order either way, so the results do not change; the backward stays on the
  // compute stream.
  void set_branch_streams(bool on) { branch_streams_ = on; }
  bool branch_streams() const { return branch_streams_; }

 protected:
  // Runs s1_branch (on the branch stream when branch_streams()) and s2_branch (on the current
  // stream), in that order; when it returns, the current stream waits for both.
  template <class S1Branch, class S2Branch>
  void run_branches(const Tensor& s1, S1Branch&& s1_branch, S2Branch&& s2_branch) {
    if (!branch_streams_) {
      s1_branch();
      s2_branch();
      return;
    }
    Context& ctx = Context::get(s1.device());
    StreamFork fork(ctx, cuda_api::Stream::branch);
    {
      StreamScope on_branch(ctx, cuda_api::Stream::branch);
      s1_branch();
    }
    s2_branch();
    fork.join();
  }

 private:
  ModelConfig config_;
  bool branch_streams_ = false;
};

class MidFusionUnet : public SegmentationNet {
 public:
  explicit MidFusionUnet(const ModelConfig& config);
  BranchLogits forward(const Tensor& s1, const Tensor& s2) override;

 private:
  ResNetEncoder& encoder1_;
  ResNetEncoder& encoder_;
  UnetDecoder& decoder_;
  SegmentationHead& head_;
};

class LateFusionUnet : public SegmentationNet {
 public:
  explicit LateFusionUnet(const ModelConfig& config);
  BranchLogits forward(const Tensor& s1, const Tensor& s2) override;
  // Each U-Net converts its own input and logits.
  void set_memory_format(MemoryFormat f) override;

 private:
  Unet& model1_;
  Unet& model2_;
};

class SingleUnet : public SegmentationNet {
 public:
  explicit SingleUnet(const ModelConfig& config);
  BranchLogits forward(const Tensor& s1, const Tensor& s2) override;

 private:
  ResNetEncoder& encoder_;
  UnetDecoder& decoder_;
  SegmentationHead& head_;
};

// Builds the network the config names and initialises it (initialize_model with `seed`) unless
// `initialize` is false (weights about to be loaded from a checkpoint).
std::unique_ptr<SegmentationNet> build_model(const ModelConfig& config, uint64_t seed = 42,
                                             bool initialize = true);

}  // namespace cromss
