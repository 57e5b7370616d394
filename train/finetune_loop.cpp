// See train/finetune_loop.h.
#include "train/finetune_loop.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "core/error.h"
#include "data/device_batch.h"
#include "data/downstream_batch.h"
#include "data/sampler.h"
#include "layers/dropout.h"
#include "models/downstream.h"
#include "train/checkpoint.h"
#include "train/encoder_transfer.h"
#include "train/evaluate.h"
#include "train/finetune_loss.h"
#include "train/finite_checks.h"
#include "train/lr_schedule.h"
#include "train/metrics.h"
#include "train/pretrain_state.h"
#include "train/progress.h"
#include "train/run_dir.h"
#include "train/run_dir_lock.h"
#include "train/signals.h"
#include "train/trainable_weights.h"
#include "train/training_setup.h"

namespace cromss {
namespace {

constexpr const char* kCommand = "cromss finetune";
const std::vector<std::string> kHead = {"decoder.", "segmentation_head."};
constexpr const char* kEncoderOptimizer = "optimizer_encoder";

// Indices of TrainPosition::epoch_sums.
enum Sum { ce, dice, loss, batches, nsums };

// The flags that shape the model must match the checkpoint a run resumes.
void check_resume_flags(const nlohmann::json& saved, const FinetuneConfig& cfg,
                        const std::string& path) {
  const nlohmann::json now = cfg.to_json();
  for (const char* key : {"model_framework", "model_type", "n_channels", "n_classes", "input_type",
                          "dataset", "batch_size", "train_path", "encoder_finetune_tag"})
    if (saved.contains(key))
      CROMSS_CHECK(saved[key] == now[key],
                   "--resume {}: the checkpoint was written with --{} {}, this run has {}", path,
                   key, saved[key].dump(), now[key].dump());
}

class FinetuneLoop {
 public:
  FinetuneLoop(const FinetuneConfig& cfg, const FinetuneRunOptions& opt) : cfg_(cfg), opt_(opt) {}
  FinetuneResult run();

 private:
  void setup_model_and_state(const std::string& resume);
  void set_encoder_training(int64_t epoch);
  void train_batch(const std::vector<size_t>& indices, int64_t epoch);
  std::string save(const std::string& path, const TrainPosition& pos);
  NamedValues evaluate_test();

  const FinetuneConfig& cfg_;
  FinetuneRunOptions opt_;
  Distributed dist_;
  ComputeSetup compute_;
  std::string run_dir_;
  std::unique_ptr<RunDir> dir_;
  std::unique_ptr<RunDirLock> lock_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<data::DownstreamDataset> train_, test_;
  std::unique_ptr<data::DeviceBatchUploader> uploader_;
  data::Batch batch_;
  data::DownstreamBatchOptions batch_options_;
  std::unique_ptr<SegmentationModel> net_;
  std::unique_ptr<TrainableWeights> weights_;
  OptimizerConfig optimizer_config_;
  // The decoder and head's optimizer, and the encoder's while it trains.
  std::unique_ptr<Optimizer> head_optimizer_, encoder_optimizer_;
  std::vector<FlatSlice> head_slices_, encoder_slices_;
  // The encoder stages the decoder uses (PSPNet: depth 3, the stem, layer1 and layer2): unused
  // stages get no gradient, so they stay frozen and outside the optimizers, as in torch.
  std::vector<std::string> encoder_stages_;
  std::unique_ptr<LrSchedule> no_schedule_;  // the checkpoint's /scheduler (lr_at_epoch is pure)
  TrainPosition pos_;
  nlohmann::json config_json_;
};

void FinetuneLoop::setup_model_and_state(const std::string& resume) {
  net_ = build_segmentation_model(cfg_.model_config(), cfg_.seed);
  net_->set_memory_format(network_memory_format(cfg_.compute_flags()));
  nlohmann::json saved;
  if (!resume.empty()) {
    H5File file(resume, H5File::Mode::read);
    saved = read_checkpoint_config(file);
    check_resume_flags(saved, cfg_, resume);
    if (!opt_.allow_nonfinite) check_finite_checkpoint(file);
    load_model_state(file, *net_);
  } else if (cfg_.pretrain_tag != "rand" && cfg_.weight_load_tag != "none") {
    const int64_t copied =
        load_pretrained_encoder(cfg_.weight_path, cfg_.pretrain_tag, net_->encoder());
    if (dist_.is_main())
      std::fprintf(stderr, "%s: encoder from %s (--pretrain_tag %s, %lld tensors)\n", kCommand,
                   cfg_.weight_path.c_str(), cfg_.pretrain_tag.c_str(),
                   static_cast<long long>(copied));
  }
  weights_ = std::make_unique<TrainableWeights>(*net_, compute_.device, compute_.precision, dist_);
  const int depth = static_cast<int>(net_->encoder().out_channels().size()) - 1;
  encoder_stages_ = {"encoder.conv1.", "encoder.bn1."};
  for (int stage = 1; stage <= 4; ++stage) {
    const std::string layer = "encoder.layer" + std::to_string(stage) + ".";
    if (stage < depth)
      encoder_stages_.push_back(layer);
    else
      weights_->set_frozen(layer, true);
  }
  optimizer_config_ = optimizer_config_for(cfg_.optimizer, cfg_.learning_rate);
  if (cfg_.optimizer == "adam") optimizer_config_.weight_decay = cfg_.weight_decay;
  head_optimizer_ = weights_->make_optimizer(optimizer_config_, kHead);
  head_slices_ = weights_->checkpoint_slices(kHead);
  encoder_slices_ = weights_->checkpoint_slices(encoder_stages_);
  no_schedule_ =
      std::make_unique<LrSchedule>(lr_schedule_config_for("none", 0), cfg_.learning_rate);
  if (!resume.empty()) {
    H5File file(resume, H5File::Mode::read);
    pos_ = read_training_state(file, cfg_.seed, *head_optimizer_, head_slices_, weights_->scaler(),
                               *no_schedule_);
    if (file.has(kEncoderOptimizer)) {
      encoder_optimizer_ = weights_->make_optimizer(optimizer_config_, encoder_stages_);
      std::map<std::string, Tensor> state;
      for (const auto& name : file.datasets(kEncoderOptimizer)) state[name] = file.read(name);
      encoder_optimizer_->load_sliced(state, encoder_slices_, std::string(kEncoderOptimizer) + "/");
    }
  }
  if (pos_.epoch_sums.size() != nsums) pos_.epoch_sums.assign(nsums, 0.0);
}

// Frozen encoder: no gradients and no optimizer; trained: its own optimizer from the first epoch
// it trains in.
void FinetuneLoop::set_encoder_training(int64_t epoch) {
  const bool trains = cfg_.encoder_trains(epoch);
  for (const auto& stage : encoder_stages_) weights_->set_frozen(stage, !trains);
  if (trains && !encoder_optimizer_)
    encoder_optimizer_ = weights_->make_optimizer(optimizer_config_, encoder_stages_);
  const double lr = cfg_.lr_at_epoch(epoch);
  head_optimizer_->set_lr(lr);
  if (encoder_optimizer_) encoder_optimizer_->set_lr(lr);
  net_->train();
  if (!trains && cfg_.freeze_bn) net_->encoder().eval();
}

void FinetuneLoop::train_batch(const std::vector<size_t>& indices, int64_t epoch) {
  uploader_->wait_host();  // the previous upload has left the pinned buffers
  data::make_downstream_batch(*train_, indices, batch_options_, static_cast<uint64_t>(epoch),
                              batch_);
  const int64_t n = static_cast<int64_t>(indices.size()), size = batch_.size;
  const SegmentationTargets targets =
      segmentation_targets(batch_.label_data(), n, size, size, *cfg_.n_classes, *cfg_.if_mask,
                           compute_.device, train_->path(), indices);
  const data::DeviceBatch& d = uploader_->upload(batch_);
  // Dropout masks keyed by (seed, step, layer): a resumed run draws the same ones.
  set_dropout_seed(*net_, cfg_.seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(pos_.step + 1));
  const Tensor logits = net_->forward(d.img.to(compute_.compute));
  const FinetuneLoss l = finetune_loss(logits, targets, cfg_.loss_type);
  if (!weights_->scaler().enabled()) check_finite_loss(l.loss, epoch, pos_.step + 1, indices);
  weights_->backward(l.backward_root, 1.0, true);
  uploader_->release();
  std::vector<Optimizer*> optimizers = {head_optimizer_.get()};
  if (encoder_optimizer_ && cfg_.encoder_trains(epoch))
    optimizers.push_back(encoder_optimizer_.get());
  weights_->step(optimizers);
  if (weights_->scaler().enabled()) weights_->scaler().check_health();
  auto& s = pos_.epoch_sums;
  s[Sum::ce] += l.ce;
  s[Sum::dice] += l.dice;
  s[Sum::loss] += l.loss;
  s[batches] += 1;
}

std::string FinetuneLoop::save(const std::string& path, const TrainPosition& pos) {
  if (!dist_.is_main()) return "";
  const int64_t epoch_of_step = pos.batches == 0 ? pos.epoch - 1 : pos.epoch;
  weights_->with_master_weights([&] {
    check_finite_state(net_->state(), epoch_of_step, pos.step, path);
    save_checkpoint(path, *net_, config_json_, [&](H5File& f) {
      write_training_state(f, pos, cfg_.seed, *head_optimizer_, head_slices_, weights_->scaler(),
                           *no_schedule_);
      if (!encoder_optimizer_) return;
      std::map<std::string, Tensor> state;
      encoder_optimizer_->save_sliced(state, encoder_slices_, std::string(kEncoderOptimizer) + "/");
      for (const auto& [key, t] : state) f.write(key, t.to(Device::cpu()));
    });
  });
  return path;
}

// The test set scored as upstream's --validation 0 (every sample; main rank only).
NamedValues FinetuneLoop::evaluate_test() {
  if (!dist_.is_main()) return {};
  FinetunedModel model{cfg_.model_config(), cfg_.input_type, nullptr};
  Evaluation e;
  weights_->with_master_weights([&] {
    e = evaluate_model(*net_, model, *test_, *cfg_.test_batch_size, compute_.device, false);
  });
  NamedValues row = {{"v_oa", e.scores.oa}, {"v_aa", e.scores.mrecall}};
  const NamedValues named = named_scores("v", e.scores);
  row.insert(row.end(), named.begin(), named.end());
  return row;
}

FinetuneResult FinetuneLoop::run() {
  compute_ = setup_compute(cfg_.compute_flags(), dist_, kCommand);
  run_dir_ = opt_.run_dir.empty() ? cfg_.run_dir() : opt_.run_dir;
  config_json_ = cfg_.to_json();
  if (dist_.is_main()) {
    dir_ = std::make_unique<RunDir>(run_dir_);
    lock_ = std::make_unique<RunDirLock>(run_dir_);
    prepare_fresh_run_dir(run_dir_, cfg_.resume.empty(), opt_.overwrite, cfg_.resume, kCommand);
  }
  const data::DownstreamKind kind = data::parse_downstream_kind(cfg_.dataset);
  train_ = std::make_unique<data::DownstreamDataset>(kind, cfg_.train_path);
  test_ = std::make_unique<data::DownstreamDataset>(kind, cfg_.test_path);
  uploader_ = std::make_unique<data::DeviceBatchUploader>(compute_.device);
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  batch_options_ = {cfg_.input_type,
                    cfg_.n_channels,
                    static_cast<int>(*cfg_.crop_size),
                    true,
                    cfg_.seed,
                    static_cast<int>(std::clamp<int64_t>(cfg_.num_workers, 1, cores))};
  setup_model_and_state(
      resolve_resume_checkpoint(cfg_.resume, run_dir_, dist_.is_main(), kCommand));
  if (dist_.is_main()) {
    dir_->write_params(config_json_);
    metrics_ = std::make_unique<MetricsLog>(run_dir_);
    if (const size_t stale = metrics_->drop_rows_from_epoch(pos_.epoch))
      std::fprintf(stderr,
                   "%s: dropped %zu metrics row(s) of epochs >= %lld logged after the "
                   "checkpoint\n",
                   kCommand, stale, static_cast<long long>(pos_.epoch));
  }
  std::vector<size_t> items(train_->size());
  for (size_t i = 0; i < items.size(); ++i) items[i] = i;
  const auto batch = static_cast<size_t>(cfg_.batch_size);
  const auto nb = static_cast<int64_t>(
      data::epoch_order(items, cfg_.seed, 0, dist_.rank(), dist_.world_size(), true, true, batch)
          .size() /
      batch);
  CROMSS_CHECK(nb > 0,
               "{}: {} training samples give no full batch of --batch_size {} per rank ({} "
               "ranks)",
               cfg_.train_path, items.size(), cfg_.batch_size, dist_.world_size());
  if (dist_.is_main())
    std::fprintf(stderr,
                 "%s: %s/%s on %s (%s), %zu train / %zu test samples, %lld batches per "
                 "epoch, encoder %s; run dir %s\n",
                 kCommand, cfg_.model_framework->c_str(), cfg_.model_type.c_str(),
                 compute_.device.str().c_str(), precision_name(compute_.precision), train_->size(),
                 test_->size(), static_cast<long long>(nb), cfg_.encoder_finetune_tag.c_str(),
                 run_dir_.c_str());

  FinetuneResult result;
  result.run_dir = run_dir_;
  ProgressBar progress(stderr, opt_.quiet ? 0 : -1, opt_.quiet ? (int64_t{1} << 62) : 50);
  for (int64_t epoch = pos_.epoch; epoch < cfg_.epochs; ++epoch) {
    const int64_t skip = epoch == pos_.epoch ? pos_.batches : 0;
    if (epoch != pos_.epoch) pos_.epoch_sums.assign(nsums, 0.0);
    set_encoder_training(epoch);
    const double lr = cfg_.lr_at_epoch(epoch);
    const std::vector<size_t> order =
        data::epoch_order(items, cfg_.seed, static_cast<uint64_t>(epoch), dist_.rank(),
                          dist_.world_size(), true, true, batch);
    if (dist_.is_main()) progress.start_epoch(epoch, cfg_.epochs, nb);
    const auto t0 = std::chrono::steady_clock::now();
    auto& s = pos_.epoch_sums;
    for (int64_t m = skip + 1; m <= nb; ++m) {
      const auto first = order.begin() + (m - 1) * cfg_.batch_size;
      train_batch(std::vector<size_t>(first, first + cfg_.batch_size), epoch);
      ++pos_.step;
      if (dist_.is_main())
        progress.update(m, s[Sum::loss] / std::max(1.0, s[batches]), lr,
                        m * cfg_.batch_size * dist_.world_size());
      bool stop = stop_requested() || (opt_.max_steps > 0 && pos_.step >= opt_.max_steps);
      if (dist_.active()) stop = dist_.allreduce_max(stop ? 1.0 : 0.0) > 0;
      if (!stop) continue;
      pos_.epoch = epoch;
      pos_.batches = m;
      if (dist_.is_main()) progress.finish_epoch("stopping");
      result.last_checkpoint = save(dir_ ? dir_->last_checkpoint_path() : "", pos_);
      if (dist_.active()) dist_.barrier();
      result.step = pos_.step;
      result.epochs_done = epoch;
      result.stopped = true;
      return result;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double n = std::max(1.0, s[batches]);
    NamedValues row = {
        {"epoch", double(epoch)},
        {"step", double(pos_.step)},
        {"lr", lr},
        {"tr_loss", s[Sum::loss] / n},
        {"tr_ce", s[Sum::ce] / n},
        {"tr_dice", s[Sum::dice] / n},
        {"pairs_per_s",
         seconds > 0 ? s[batches] * cfg_.batch_size * dist_.world_size() / seconds : 0.0}};
    const NamedValues val = evaluate_test();
    row.insert(row.end(), val.begin(), val.end());
    if (metrics_) metrics_->append(row);
    if (dist_.is_main()) {
      char summary[160];
      std::snprintf(summary, sizeof summary, "epoch %lld done: tr_loss %.4f, %.1f s",
                    static_cast<long long>(epoch), s[Sum::loss] / n, seconds);
      progress.finish_epoch(summary);
    }
    const TrainPosition next = pos_.start_of(epoch + 1);
    if (dist_.is_main() && (epoch + 1) % cfg_.save_interval == 0)
      save(dir_->checkpoint_path(epoch, pos_.step), next);
    result.last_checkpoint = save(dir_ ? dir_->last_checkpoint_path() : "", next);
    if (dist_.active()) dist_.barrier();
    result.epochs_done = epoch + 1;
  }
  result.step = pos_.step;
  return result;
}

}  // namespace

FinetuneResult run_finetune(const FinetuneConfig& cfg, const FinetuneRunOptions& options) {
  cfg.validate();
  FinetuneLoop loop(cfg, options);
  return loop.run();
}

}  // namespace cromss
