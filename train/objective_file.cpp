// `cromss objective` file I/O (train/objective_file.h).
#include "train/objective_file.h"

#include "engine/hdf5_file.h"
#include "engine/ops/label_prior.h"
#include "train/cromss_objective.h"

namespace cromss {
namespace {

Tensor read_required(const H5File& in, const std::string& name, const std::string& what) {
  CROMSS_CHECK(in.has(name), "{}: dataset '{}' ({}) is missing", in.path(), name, what);
  return in.read(name);
}

Tensor read_logits(const H5File& in, const std::string& name) {
  Tensor t = read_required(in, name, "(B,C,H,W) float32 logits");
  CROMSS_CHECK(is_floating(t.dtype()), "{}: dataset '{}' must be float32 or float64, got {}",
               in.path(), name, dtype_name(t.dtype()));
  return t.to(DType::f32);
}

}  // namespace

void run_objective_file(const ObjectiveFileOptions& options, const ObjectiveConfig& config) {
  H5File in(options.input, H5File::Mode::read);
  Tensor z1 = read_logits(in, "logits_s1");
  Tensor z2 = read_logits(in, "logits_s2");
  Tensor labels = read_required(in, "labels", "(B,H,W) integer noisy labels");
  CROMSS_CHECK(!is_floating(labels.dtype()), "{}: dataset 'labels' must be integer, got {}",
               in.path(), dtype_name(labels.dtype()));
  const bool uses_prior = config.needs_prior() && !options.validation_loss;
  Tensor prior, computed_prior;
  if (in.has("prior")) {
    prior = in.read("prior").to(DType::f32);
  } else if (uses_prior) {
    CROMSS_CHECK(in.has("labels_seasons") && in.has("season"),
                 "{}: --label_smoothing with prior type ts|t|s needs dataset 'prior' (B,C,H,W) or "
                 "'labels_seasons' (B,4,H,W) + 'season' (B)",
                 in.path());
    CROMSS_CHECK(z1.dim() == 4, "{}: logits_s1 must be (B,C,H,W), got {}", in.path(),
                 shape_str(z1.shape()));
    computed_prior = label_prior(in.read("labels_seasons").to(options.device), in.read("season"),
                                 static_cast<int>(z1.size(1)), config.label_smoothing_prior_type);
    prior = computed_prior;
  }
  const ObjectiveResult r = cromss_objective(
      z1.to(options.device), z2.to(options.device), labels.to(options.device),
      prior.defined() ? prior.to(options.device) : Tensor(), options.epoch, config,
      options.validation_loss ? ObjectiveMode::validation : ObjectiveMode::training);
  write_atomically(options.output, [&](H5File& out) {
    auto put = [&](const std::string& name, const Tensor& t) {
      out.write(name, t.to(Device::cpu()).to(DType::f32));
    };
    if (computed_prior.defined()) put("prior", computed_prior);
    put("target", r.target);
    const char* sfx[2] = {"_s1", "_s2"};
    for (int d = 0; d < 2; ++d) {
      put(std::string("conf_label") + sfx[d], r.conf_label[d]);
      put(std::string("conf_pred") + sfx[d], r.conf_pred[d]);
      put(std::string("threshold") + sfx[d], r.threshold[d]);
      put(std::string("weight_seg") + sfx[d], r.weight_seg[d]);
      put(std::string("weight_con") + sfx[d], r.weight_con[d]);
      put(std::string("grad_logits") + sfx[d], r.grad_logits[d]);
      out.write_scalar(std::string("loss_seg") + sfx[d], r.loss_seg[d]);
      out.write_scalar(std::string("loss_con") + sfx[d], r.loss_con[d]);
    }
    out.write_scalar("selection_ratio", r.selection_ratio);
    out.write_scalar("loss", r.loss);
  });
}

}  // namespace cromss
