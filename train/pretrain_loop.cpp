// See train/pretrain_loop.h.
#include "train/pretrain_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/device.h"
#include "core/error.h"
#include "data/device_batch.h"
#include "data/loader.h"
#include "data/sampler.h"
#include "engine/autograd.h"
#include "engine/step_readout.h"
#include "layers/parameter_store.h"
#include "models/segmentation_net.h"
#include "train/checkpoint.h"
#include "train/cromss_loss.h"
#include "train/finite_checks.h"
#include "train/graphed_step.h"
#include "train/pretrain_state.h"
#include "train/progress.h"
#include "train/resume_checks.h"
#include "train/run_dir.h"
#include "train/run_dir_lock.h"
#include "train/signals.h"
#include "train/trainable_weights.h"
#include "train/training_setup.h"
#include "train/validation.h"

namespace cromss {
namespace {

// Indices of TrainPosition::epoch_sums (running sums of the epoch's training logs).
enum Sum { seg1, seg2, con12, con21, loss, micro, sel1_ok, sel1_all, sel2_ok, sel2_all, nsums };

// The objective of this run: upstream script 1 (single-modal) never smooths.
ObjectiveConfig run_objective(const PretrainConfig& c) {
  ObjectiveConfig o = objective_config(c);
  if (!c.multi_modal()) o.label_smoothing = false;
  return o;
}

data::LoaderOptions loader_options(const PretrainConfig& c, const ObjectiveConfig& o,
                                   const Distributed& dist, size_t batch_size, bool shuffle,
                                   Device device) {
  data::LoaderOptions lo;
  lo.batch_size = batch_size;
  lo.seed = static_cast<uint64_t>(c.seed);
  lo.rank = dist.rank();
  lo.world_size = dist.world_size();
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  lo.workers = std::clamp(c.num_workers, 1, cores);
  lo.shuffle = shuffle;
  lo.drop_last = true;
  lo.skip_bad_samples = c.skip_bad_samples;
  lo.pipeline.n_channels = c.input_type == "s1" ? 13 : c.n_channels;
  lo.pipeline.crop_size = c.crop_size;
  const bool with_prior = c.multi_modal() && o.needs_prior();
  if (with_prior) lo.pipeline.prior_type = o.label_smoothing_prior_type;
  // --prior_on_device: the loader hands over the prior's inputs and the step builds it.
  lo.export_tile_labels =
      with_prior && (c.prior_on_device == "auto" ? data::builds_prior_by_default(device)
                                                 : c.prior_on_device == "on");
  lo.pipeline.with_prior = with_prior && !lo.export_tile_labels;
  return lo;
}

class PretrainLoop {
 public:
  PretrainLoop(const PretrainConfig& cfg, const PretrainRunOptions& opt)
      : cfg_(cfg), opt_(opt), obj_(run_objective(cfg)) {
    obj_.entangle = opt.entangle;
  }

  PretrainResult run();

 private:
  void setup_device();
  void setup_model_and_state();
  void train_micro_batch(const data::Batch& b, int64_t epoch, bool last_of_window);
  // Forward, objective and backward of one micro-batch; returns the loss read-out. With
  // selection_stats (clean-label datasets, eager steps only) adds the selection precision.
  Tensor forward_backward(const StepTensors& d, int64_t epoch, bool last_of_window,
                          bool selection_stats);
  void optimizer_step();
  // Adds the read-outs of all but the newest `keep` queued micro-batches to the epoch sums,
  // after the checks they carry (labels in range, a finite loss, the fp16 scaler's health).
  void consume_readouts(int keep);
  std::string save(const std::string& path, const TrainPosition& pos);
  void log_epoch(int64_t epoch, double lr_used, double seconds, const NamedValues& val);

  const PretrainConfig& cfg_;
  PretrainRunOptions opt_;
  ObjectiveConfig obj_;
  Distributed dist_;
  Device device_ = Device::cpu();
  Precision precision_ = Precision::fp32;
  DType compute_ = DType::f32;
  std::string run_dir_;
  std::unique_ptr<RunDir> dir_;
  std::unique_ptr<RunDirLock> lock_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<data::PretrainDataset> dataset_;
  std::unique_ptr<data::DeviceBatchUploader> uploader_;
  data::TrainValSplit split_;
  std::unique_ptr<SegmentationNet> net_;
  std::unique_ptr<TrainableWeights> weights_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  std::vector<FlatSlice> slices_;
  TrainPosition pos_;
  // Each micro-batch's losses (and the fp16 scaler's state) reach the host a step late, with
  // the labels that name a bad label (engine/step_readout.h).
  std::unique_ptr<StepReadout> readout_;
  std::unique_ptr<GraphedStep> graphed_;  // --cuda_graph
  struct PendingStep {
    Tensor labels;                // names a bad label
    int64_t epoch = 0, step = 0;  // name a non-finite loss, with the batch's dataset indices
    std::vector<size_t> indices;
  };
  std::deque<PendingStep> pending_;
  nlohmann::json config_json_;
};

void PretrainLoop::setup_device() {
  const ComputeSetup compute = setup_compute(compute_flags(cfg_), dist_, "cromss pretrain");
  device_ = compute.device;
  precision_ = compute.precision;
  compute_ = compute.compute;
  uploader_ = std::make_unique<data::DeviceBatchUploader>(device_);
  readout_ = std::make_unique<StepReadout>(device_);
}

void PretrainLoop::setup_model_and_state() {
  ModelConfig mc;
  mc.input_type = cfg_.input_type;
  mc.fusion_type = cfg_.fusion_type;
  mc.model_type = cfg_.model_type;
  mc.n_channels = cfg_.n_channels;
  mc.n_classes = cfg_.n_classes;
  mc.validate();
  net_ = build_model(mc, static_cast<uint64_t>(cfg_.seed));
  net_->set_branch_streams(cfg_.branch_streams);
  if (cfg_.cuda_graph) {
    CROMSS_CHECK(!dist_.active(),
                 "--cuda_graph: {} ranks; the gradient all-reduce is not captured yet, so "
                 "graphs serve single-process runs only",
                 dist_.world_size());
    graphed_ = std::make_unique<GraphedStep>(device_, [this](const StepTensors& in, int64_t e) {
      return forward_backward(in, e, true, false);
    });
  }
  net_->set_memory_format(network_memory_format(compute_flags(cfg_)));

  const std::string resume =
      resolve_resume_checkpoint(cfg_.resume, run_dir_, dist_.is_main(), "cromss pretrain");
  nlohmann::json saved_config;
  if (!resume.empty()) {
    H5File file(resume, H5File::Mode::read);
    saved_config = read_checkpoint_config(file);
    if (!cfg_.pre_train) check_resume_model_flags(saved_config, cfg_, resume);
    if (!opt_.allow_nonfinite) check_finite_checkpoint(file);
    load_model_state(file, *net_);
  }
  weights_ = std::make_unique<TrainableWeights>(*net_, device_, precision_, dist_);
  optimizer_ = weights_->make_optimizer(optimizer_config_for(cfg_.optimizer, cfg_.learning_rate));
  const PlateauMode mode = cfg_.multi_modal() ? PlateauMode::min : PlateauMode::max;
  schedule_ = std::make_unique<LrSchedule>(
      lr_schedule_config_for(cfg_.lr_adjust_type, cfg_.lr_adjust, mode), cfg_.learning_rate);
  slices_ = weights_->checkpoint_slices();
  if (!resume.empty() && !cfg_.pre_train) {
    H5File file(resume, H5File::Mode::read);
    pos_ = read_training_state(file, static_cast<uint64_t>(cfg_.seed), *optimizer_, slices_,
                               weights_->scaler(), *schedule_);
    check_resume_mid_epoch_flags(saved_config, cfg_, resume, pos_.epoch, pos_.batches);
    optimizer_->set_lr(schedule_->lr());
  }
  if (pos_.epoch_sums.size() != nsums) pos_.epoch_sums.assign(nsums, 0.0);
}

void broadcast_buffers(Distributed& dist, Module& net) {
  if (!dist.active()) return;
  for (auto& b : net.named_buffers()) dist.broadcast(*b.tensor, 0);
}

void PretrainLoop::train_micro_batch(const data::Batch& b, int64_t epoch, bool last_of_window) {
  broadcast_buffers(dist_, *net_);
  StepTensors d = upload_batch(*uploader_, b, compute_);
  const Tensor step_losses =
      graphed_ ? graphed_->run(d, epoch) : forward_backward(d, epoch, last_of_window, true);
  std::vector<Tensor> parts = {step_losses.contiguous()};
  if (weights_->scaler().enabled()) parts.push_back(weights_->scaler().state());
  readout_->push(parts);
  pending_.push_back({d.labels, epoch, pos_.step + 1, b.indices});
  consume_readouts(1);  // the previous micro-batch's values: the logs are one step late
}

Tensor PretrainLoop::forward_backward(const StepTensors& d, int64_t epoch, bool last_of_window,
                                      bool selection_stats) {
  BranchLogits y = net_->forward(d.s1, d.s2);
  Tensor loss, step_losses;
  auto& s = pos_.epoch_sums;
  if (cfg_.multi_modal()) {
    // With clean labels (a diagnostic) the selection precision needs the weights on the host.
    const bool stats = selection_stats && d.clean.defined();
    ObjectiveResult r;
    loss = cromss_loss(y.s1, y.s2, d.labels, d.prior, static_cast<int>(epoch), obj_,
                       stats ? &r : nullptr, &step_losses);
    if (stats) {
      for (int k = 0; k < 2; ++k) {
        SelectionPrecision sp;
        sp.accumulate(r.weight_seg[k], d.labels, d.clean);
        s[k == 0 ? sel1_ok : sel2_ok] += sp.weight_on_correct();
        s[k == 0 ? sel1_all : sel2_all] += sp.weight_total();
      }
    }
  } else {
    loss = single_branch_loss(cfg_.input_type == "s1" ? y.s1 : y.s2, d.labels, Tensor(), obj_,
                              &step_losses);
  }
  weights_->backward(loss, 1.0 / cfg_.accumulate_grad_batches, last_of_window);
  return step_losses;
}

void PretrainLoop::consume_readouts(int keep) {
  auto& s = pos_.epoch_sums;
  while (readout_->pending() > keep) {
    const std::vector<char> bytes = readout_->pop();
    const PendingStep step = std::move(pending_.front());
    pending_.pop_front();
    double v[StepLosses::count];
    std::memcpy(v, bytes.data(), sizeof v);
    check_labels_mark(v, step.labels, cfg_.n_classes);
    // The loss as the f32 tensor the step backpropagated.
    const double value = static_cast<float>(v[StepLosses::loss]);
    if (!weights_->scaler().enabled())
      check_finite_loss(value, step.epoch, step.step, step.indices);
    if (cfg_.multi_modal()) {
      s[seg1] += v[StepLosses::seg];
      s[seg2] += v[StepLosses::seg + 1];
      s[con12] += v[StepLosses::con];
      s[con21] += v[StepLosses::con + 1];
    } else {
      s[seg1] += value;
    }
    s[Sum::loss] += value;
    s[micro] += 1;
    if (weights_->scaler().enabled()) weights_->scaler().check_health(bytes.data() + sizeof v);
  }
}

void PretrainLoop::optimizer_step() {
  weights_->step({optimizer_.get()});
}

std::string PretrainLoop::save(const std::string& path, const TrainPosition& pos) {
  if (!dist_.is_main()) return "";
  const int64_t epoch_of_step = pos.batches == 0 ? pos.epoch - 1 : pos.epoch;  // `pos` may be next
  weights_->with_master_weights([&] {
    check_finite_state(net_->state(), epoch_of_step, pos_.step, path);
    save_checkpoint(path, *net_, config_json_, [&](H5File& f) {
      write_training_state(f, pos, static_cast<uint64_t>(cfg_.seed), *optimizer_, slices_,
                           weights_->scaler(), *schedule_);
    });
  });
  return path;
}

// --skip_bad_samples: say how many samples were replaced so far, whenever the count grew.
void report_skipped_samples(const data::Loader& train, const Validator& val, uint64_t* reported) {
  const uint64_t n = train.bad_samples() + val.bad_samples();
  if (n == *reported) return;
  *reported = n;
  std::vector<std::string> first = train.bad_sample_messages();
  if (first.empty()) first = val.bad_sample_messages();
  std::fprintf(stderr,
               "cromss pretrain: --skip_bad_samples: %llu bad sample(s) skipped so far (%llu in "
               "training, %llu in validation); first: %s\n",
               static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(train.bad_samples()),
               static_cast<unsigned long long>(val.bad_samples()),
               first.empty() ? "?" : first.front().c_str());
}

double ratio(double a, double b) {
  return b > 0 ? a / b : std::nan("");
}

void PretrainLoop::log_epoch(int64_t epoch, double lr_used, double seconds,
                             const NamedValues& val) {
  const auto& s = pos_.epoch_sums;
  const double n = std::max(1.0, s[micro]);
  NamedValues row = {{"epoch", static_cast<double>(epoch)},
                     {"step", static_cast<double>(pos_.step)},
                     {"lr", lr_used}};
  if (cfg_.multi_modal()) {
    row.insert(row.end(), {{"tr_segloss_1", s[seg1] / n},
                           {"tr_segloss_2", s[seg2] / n},
                           {"tr_segloss", (s[seg1] + s[seg2]) / n},
                           {"tr_conloss_2t", s[con12] / n},
                           {"tr_conloss_2i", s[con21] / n},
                           {"tr_conloss", (s[con12] + s[con21]) / n}});
    if (s[sel1_all] > 0 || s[sel2_all] > 0)
      row.insert(row.end(), {{"tr_selprec_1", ratio(s[sel1_ok], s[sel1_all])},
                             {"tr_selprec_2", ratio(s[sel2_ok], s[sel2_all])}});
  } else {
    row.push_back({"tr_segloss", s[seg1] / n});
  }
  row.push_back({"tr_loss", s[Sum::loss] / n});
  const double pairs = s[micro] * cfg_.batch_size * dist_.world_size();
  row.push_back({"pairs_per_s", seconds > 0 ? pairs / seconds : 0.0});
  row.insert(row.end(), val.begin(), val.end());
  if (metrics_) metrics_->append(row);
}

PretrainResult PretrainLoop::run() {
  setup_device();
  run_dir_ = opt_.run_dir.empty() ? run_dir(cfg_).string() : opt_.run_dir;
  config_json_ = params_json(cfg_);
  if (!opt_.entangle) config_json_["entangle"] = false;
  if (opt_.upstream_drop_last) config_json_["upstream_drop_last"] = true;
  if (cfg_.global_selection) obj_.ranks = &dist_;  // one objective over all ranks' batches
  if (dist_.is_main()) {
    dir_ = std::make_unique<RunDir>(run_dir_);
    lock_ = std::make_unique<RunDirLock>(run_dir_);
    prepare_fresh_run_dir(run_dir_, cfg_.resume.empty() || cfg_.pre_train, opt_.overwrite,
                          cfg_.resume, "cromss pretrain");
  }
  dataset_ = std::make_unique<data::PretrainDataset>(data::PretrainPaths{
      cfg_.data_path, cfg_.input_type == "s2" ? std::string() : cfg_.data_name_s1,
      cfg_.data_name_s2, cfg_.data_name_label, cfg_.data_name_clean_label});
  split_ =
      data::split_train_val(dataset_->size(), cfg_.validation, static_cast<uint64_t>(cfg_.seed));
  setup_model_and_state();
  if (dist_.is_main()) {
    dir_->write_params(config_json_);  // only once the run has started: a failed start keeps it
    metrics_ = std::make_unique<MetricsLog>(run_dir_);
    if (const size_t stale = metrics_->drop_rows_from_epoch(pos_.epoch))
      std::fprintf(stderr,
                   "cromss pretrain: dropped %zu metrics row(s) of epochs >= %lld logged after "
                   "the checkpoint (a crash before it was written)\n",
                   stale, static_cast<long long>(pos_.epoch));
  }

  data::Loader train_loader(*dataset_, split_.train,
                            loader_options(cfg_, obj_, dist_, cfg_.batch_size, true, device_));
  // Every epoch has the same number of whole batches per rank (data/sampler.h).
  const auto nb = static_cast<int64_t>(
      data::epoch_order(split_.train, static_cast<uint64_t>(cfg_.seed), 0, dist_.rank(),
                        dist_.world_size(), true, true, static_cast<size_t>(cfg_.batch_size))
          .size() /
      static_cast<size_t>(cfg_.batch_size));
  CROMSS_CHECK(nb > 0,
               "{}: {} training locations give no full batch of --batch_size {} per rank ({} "
               "ranks)",
               cfg_.data_path, split_.train.size(), cfg_.batch_size, dist_.world_size());
  data::LoaderOptions val_options =
      loader_options(cfg_, obj_, dist_, cfg_.test_batch_size, false, device_);
  val_options.drop_last = opt_.upstream_drop_last;
  Validator validator(cfg_, obj_, *dataset_, split_.val, val_options, dist_, device_, compute_);
  if (dist_.is_main())
    std::fprintf(stderr,
                 "cromss pretrain: %s on %s (%s), %zu train / %zu val locations, %lld batches "
                 "per epoch, %d rank(s); run dir %s\n",
                 cfg_.model_type.c_str(), device_.str().c_str(), precision_name(precision_),
                 split_.train.size(), split_.val.size(), static_cast<long long>(nb),
                 dist_.world_size(), run_dir_.c_str());

  PretrainResult result;
  result.run_dir = run_dir_;
  ProgressBar progress(stderr, opt_.quiet ? 0 : -1, opt_.quiet ? (int64_t{1} << 62) : 50);
  data::Batch batch;
  uint64_t skipped_reported = 0;
  for (int64_t epoch = pos_.epoch; epoch < cfg_.epochs; ++epoch) {
    const int64_t skip = epoch == pos_.epoch ? pos_.batches : 0;
    if (epoch != pos_.epoch) pos_.epoch_sums.assign(nsums, 0.0);
    net_->train();
    const double lr_used = optimizer_->lr();
    if (dist_.is_main()) progress.start_epoch(epoch, cfg_.epochs, nb);
    const auto t0 = std::chrono::steady_clock::now();
    if (skip < nb)  // resumed mid-epoch: the first `skip` batches were trained on
      train_loader.start_epoch(static_cast<uint64_t>(epoch), static_cast<size_t>(skip));
    for (int64_t m = skip + 1; m <= nb && train_loader.next(batch); ++m) {
      const bool last_of_window = m % cfg_.accumulate_grad_batches == 0 || m == nb;
      train_micro_batch(batch, epoch, last_of_window);
      if (!last_of_window) continue;
      optimizer_step();
      ++pos_.step;
      if (dist_.is_main())
        progress.update(m, pos_.epoch_sums[Sum::loss] / std::max(1.0, pos_.epoch_sums[micro]),
                        optimizer_->lr(), m * cfg_.batch_size * dist_.world_size());
      bool stop = stop_requested() || (opt_.max_steps > 0 && pos_.step >= opt_.max_steps);
      if (dist_.active()) stop = dist_.allreduce_max(stop ? 1.0 : 0.0) > 0;
      if (stop) {
        consume_readouts(0);
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
    }
    consume_readouts(0);  // the epoch's last values
    weights_->scaler().check_health();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool pictures =
        dist_.is_main() && ((epoch + 1) % cfg_.display_interval == 0 || epoch + 1 == cfg_.epochs);
    const NamedValues val =
        validator.run(*net_, epoch, pictures ? run_dir_ + "/pictures" : std::string());
    // ROP steps on the monitored validation value (no validation split: never reduces); exp
    // every epoch; none never.
    if (cfg_.lr_adjust_type == "rop") {
      const std::string monitored = cfg_.multi_modal() ? "v_loss" : "v_miou";
      for (const auto& [key, value] : val)
        if (key == monitored) optimizer_->set_lr(schedule_->step(value));
    } else if (cfg_.lr_adjust_type == "exp") {
      optimizer_->set_lr(schedule_->step(0.0));
    }
    log_epoch(epoch, lr_used, seconds, val);
    if (dist_.is_main()) report_skipped_samples(train_loader, validator, &skipped_reported);
    if (dist_.is_main()) {
      char summary[160];
      std::snprintf(summary, sizeof summary, "epoch %lld done: tr_loss %.4f, %.1f s",
                    static_cast<long long>(epoch),
                    pos_.epoch_sums[Sum::loss] / std::max(1.0, pos_.epoch_sums[micro]), seconds);
      progress.finish_epoch(summary);
    }
    const TrainPosition next = pos_.start_of(epoch + 1);
    if (dist_.is_main() && (epoch + 1) % cfg_.save_interval == 0) {
      save(dir_->checkpoint_path(epoch, pos_.step), next);
      dir_->prune_checkpoints(cfg_.keep_last);
    }
    result.last_checkpoint = save(dir_ ? dir_->last_checkpoint_path() : "", next);
    if (dist_.active()) dist_.barrier();
    result.epochs_done = epoch + 1;
  }
  result.step = pos_.step;
  return result;
}

}  // namespace

PretrainResult run_pretrain(const PretrainConfig& cfg, const PretrainRunOptions& options) {
  cfg.validate();
  PretrainLoop loop(cfg, options);
  return loop.run();
}

}  // namespace cromss
