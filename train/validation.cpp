// See train/validation.h.
#include "train/validation.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "data/sampler.h"

#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "train/cromss_objective.h"
#include "train/png_panel.h"

namespace cromss {

StepTensors upload_batch(data::DeviceBatchUploader& uploader, const data::Batch& b, DType compute) {
  const data::DeviceBatch& up = uploader.upload(b);
  const int64_t c = up.img.size(1);
  // The upload slot is reused two uploads later: copy what still aliases it.
  auto own = [](const Tensor& t, const Tensor& slot) {
    return t.defined() && t.storage() == slot.storage() ? t.clone() : t;
  };
  StepTensors d;
  d.s1 = own(up.img.narrow(1, 0, 2).contiguous().to(compute), up.img);
  d.s2 = own(up.img.narrow(1, 2, c - 2).contiguous().to(compute), up.img);
  d.labels = own(up.labels, up.labels);
  d.clean = own(up.clean_labels, up.clean_labels);
  d.prior = up.prior_in_slot ? own(up.prior, up.prior) : up.prior;  // else built per batch
  uploader.release();
  uploader.wait_host();
  return d;
}

Validator::Validator(const PretrainConfig& cfg, const ObjectiveConfig& objective,
                     const data::PretrainDataset& dataset, std::vector<size_t> items,
                     const data::LoaderOptions& options, Distributed& dist, Device device,
                     DType compute)
    : cfg_(cfg), objective_(objective), dist_(dist), device_(device), compute_(compute) {
  objective_.ranks = nullptr;
  const size_t held_out = items.size();
  data::LoaderOptions o = options;
  if (!o.drop_last && o.world_size > 1) {  // every sample once: rank r scores items[r::ranks]
    std::vector<size_t> mine;
    for (size_t i = static_cast<size_t>(o.rank); i < items.size();
         i += static_cast<size_t>(o.world_size))
      mine.push_back(items[i]);
    items = std::move(mine);
    o.rank = 0;
    o.world_size = 1;
  }
  const size_t batches =
      data::epoch_order(items, o.seed, 0, o.rank, o.world_size, false, o.drop_last, o.batch_size)
          .size();
  if (dist_.is_main() && cfg.validation > 0 && batches == 0)
    std::fprintf(stderr,
                 "cromss pretrain: WARNING: no validation at all: --validation %g holds out %zu "
                 "of the locations%s, so there is no v_loss (--lr_adjust_type rop never "
                 "reduces the LR), no validation metrics and no PNG panels\n",
                 cfg.validation, held_out,
                 held_out > 0 ? ", fewer than one whole --test_batch_size batch per rank under "
                                "--upstream_drop_last"
                              : "");
  if (!items.empty()) loader_ = std::make_unique<data::Loader>(dataset, std::move(items), o);
  uploader_ = std::make_unique<data::DeviceBatchUploader>(device);
}

uint64_t Validator::bad_samples() const {
  return loader_ ? loader_->bad_samples() : 0;
}

std::vector<std::string> Validator::bad_sample_messages() const {
  return loader_ ? loader_->bad_sample_messages() : std::vector<std::string>();
}

NamedValues Validator::run(SegmentationNet& net, int64_t epoch, const std::string& picture_dir) {
  if (!loader_) return {};
  const bool multi = cfg_.multi_modal();
  const int branches = multi ? 2 : 1;
  const int64_t k = cfg_.n_classes;
  std::vector<ConfusionMatrix> noisy, clean;  // distinct matrices (a copy would share counts)
  for (int b = 0; b < branches; ++b) {
    noisy.emplace_back(k, device_);
    clean.emplace_back(k, device_);
  }
  bool has_clean = false;
  // Weighted sum of batch losses and of the weights: a batch weighs (its samples) / (a whole
  // batch), so whole batches weigh exactly 1 (the mean over batches, as upstream) and the last
  // partial batch by its share.
  std::vector<double> loss_sum = {0.0, 0.0};
  net.eval();
  NoGrad no_grad;
  loader_->start_epoch(static_cast<uint64_t>(epoch));
  // Each batch's read-out stays on the device until the epoch's one read (StepLosses rows).
  Tensor losses = Tensor::zeros(
      {static_cast<int64_t>(loader_->batches_per_epoch()), StepLosses::count}, DType::f64, device_);
  std::vector<double> weights;
  data::Batch batch;
  int64_t i = 0;
  for (; loader_->next(batch); ++i) {
    const StepTensors d = upload_batch(*uploader_, batch, compute_);
    const BranchLogits y = net.forward(d.s1, d.s2);
    const double weight =
        static_cast<double>(batch.batch) / static_cast<double>(cfg_.test_batch_size);
    const std::vector<Tensor> logits =
        multi ? std::vector<Tensor>{y.s1, y.s2}
              : std::vector<Tensor>{cfg_.input_type == "s1" ? y.s1 : y.s2};
    const ObjectiveEvaluation e(logits[0], multi ? logits[1] : Tensor(), d.labels, Tensor(),
                                static_cast<int>(epoch), objective_, ObjectiveMode::validation,
                                branches);
    losses.select(0, i).copy_(e.losses());
    weights.push_back(weight);
    for (int b = 0; b < branches; ++b) {  // on the device: no host sync per batch
      const Tensor pred = argmax_classes(logits[b]);
      noisy[b].accumulate(pred, d.labels);
      if (d.clean.defined()) {
        clean[b].accumulate(pred, d.clean);
        has_clean = true;
      }
    }
    if (i == 0 && !picture_dir.empty()) write_panels(d, y, epoch, picture_dir);
  }
  net.train();
  const Tensor host_losses = losses.to(Device::cpu());  // the epoch's one read of the losses
  for (int64_t j = 0; j < i; ++j) {
    const double* v = host_losses.data<double>() + j * StepLosses::count;
    check_labels_mark(v, Tensor(), static_cast<int>(k));
    loss_sum[0] += weights[j] * v[StepLosses::loss];
    loss_sum[1] += weights[j];
  }
  std::vector<double> batches = {static_cast<double>(i)};
  dist_.allreduce_sum(batches);
  if (batches[0] == 0) return {};
  std::vector<int64_t> counts;
  for (int b = 0; b < branches; ++b)
    for (auto* m : {&noisy[b], &clean[b]}) {
      const auto c = m->counts();
      counts.insert(counts.end(), c.begin(), c.end());
    }
  dist_.allreduce_sum(counts);
  dist_.allreduce_sum(loss_sum);
  NamedValues out = {{"v_loss", loss_sum[1] > 0 ? loss_sum[0] / loss_sum[1] : 0.0}};
  const size_t kk = static_cast<size_t>(k * k);
  for (int b = 0; b < branches; ++b) {
    const std::string prefix = multi ? fmt::format("v{}", b + 1) : std::string("v");
    auto slice = [&](int which) {
      auto first = counts.begin() + static_cast<std::ptrdiff_t>((2 * b + which) * kk);
      return std::vector<int64_t>(first, first + static_cast<std::ptrdiff_t>(kk));
    };
    for (auto& kv : named_scores(prefix, scores_from_confusion(slice(0), k))) out.push_back(kv);
    if (has_clean)
      for (auto& kv : named_scores(prefix + "_clean", scores_from_confusion(slice(1), k)))
        out.push_back(kv);
  }
  return out;
}

void Validator::write_panels(const StepTensors& d, const BranchLogits& y, int64_t epoch,
                             const std::string& dir) const {
  std::filesystem::create_directories(dir);
  Tensor confidence, weight;
  if (cfg_.multi_modal()) {
    const ObjectiveResult r =
        cromss_objective(y.s1, y.s2, d.labels, d.prior, static_cast<int>(epoch), objective_);
    confidence = r.conf_label[1].to(Device::cpu());
    weight = r.weight_seg[1].to(Device::cpu());
  }
  const Tensor s1 = d.s1.to(Device::cpu()).to(DType::f32);
  const Tensor s2 = d.s2.to(Device::cpu()).to(DType::f32);
  const Tensor labels = d.labels.to(Device::cpu());
  std::vector<Tensor> preds;
  if (y.s1.defined()) preds.push_back(argmax_classes(y.s1).to(Device::cpu()));
  if (y.s2.defined()) preds.push_back(argmax_classes(y.s2).to(Device::cpu()));
  const int64_t n = std::min<int64_t>(kPanelSamples, labels.size(0));
  for (int64_t i = 0; i < n; ++i) {
    PanelSample p;
    if (cfg_.input_type != "s1" && s2.size(1) >= 4) p.s2 = s2.select(0, i);
    p.s1 = s1.select(0, i);
    p.noisy_label = labels.select(0, i);
    for (const auto& pr : preds) p.predictions.push_back(pr.select(0, i));
    if (confidence.defined()) {
      p.confidence = confidence.select(0, i);
      p.selection_weight = weight.select(0, i);
    }
    write_panel(dir + "/epoch_" + std::to_string(epoch) + "_sample_" + std::to_string(i) + ".png",
                p);
  }
}

}  // namespace cromss
