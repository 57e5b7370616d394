// `cromss bench`: times the full CromSS training step end to end (DESIGN.md "Benchmarks") on
// synthetic in-memory tensors (no LMDB, no loader): forward of both branches, cromss_loss with
// the default ObjectiveConfig at epoch 40 (selection and smoothing active), backward into the
// ParameterStore's flat gradients, then the optimizer step over the flat buffers in the order of
// train/pretrain_loop.cpp optimizer_step (mixed-precision fold, loss-scaler unscale/check, Adam,
// scaler update, zero_grad, low-precision refresh). bf16/fp16 use train/mixed_precision.h as
// `cromss pretrain` does (CUDA only). tools/pytorch_baseline.py is the PyTorch counterpart and
// writes the same JSON keys.
//
// GFLOP per step counts convolutions only (2 FLOPs per multiply-add) from bench/README.md's
// figure for the ResNet-50 U-Net branch: 22.44 GFLOP per 256x256 forward with 13 bands, less
// 0.1028 GFLOP per band fewer in the 7x7 stem conv (S1 has 2), scaled by crop area; forward,
// weight gradients and input gradients, less the stems' input gradients (never computed), the
// same formula as tools/pytorch_baseline.py. Other encoders report no FLOPs (null in the JSON).
//
// Besides the timed steps: host syncs per step (core/sync_counts.h, counted over the timed steps),
// dispatches per step (kernel-table calls and objective passes: engine/op_profiler.h in count
// mode over one extra step; on CUDA a dispatch is one or more kernel launches or cuDNN/cuBLASLt
// calls - launches themselves are not counted),
// with --profile_ops a per-op-type time table over as many extra steps in the profiler's timing
// mode (CUDA events on each op's stream; they slow the step, so the table's steps are not the
// timed ones), and with --print_conv_algos the cuDNN algorithm chosen for every convolution
// (kernels/conv2d_algo_cache.h: measured, or heuristic under --deterministic).
// With --cuda_graph the step is captured once after the warm-up (core/graph_capture.h) and the
// timed steps replay it: one graph launch per step instead of the host issuing every kernel
// (on the CPU the replay runs the recorded kernel calls - the same contract, no speed-up).
// --conv_bn_fusion turns on the process-wide switch of core/conv_bn_fusion.h, as cromss pretrain.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/registry.h"
#include "core/allocator.h"
#include "core/conv_bn_fusion.h"
#include "core/cuda_api.h"
#include "core/determinism.h"
#include "core/device.h"
#include "core/device_info.h"
#include "core/error.h"
#include "core/graph_capture.h"
#include "core/sync_counts.h"
#include "engine/op_profiler.h"
#include "engine/ops/elementwise.h"
#include "kernels/conv2d_algo_cache.h"
#include "layers/parameter_store.h"
#include "models/segmentation_net.h"
#include "train/compute_flags.h"
#include "train/cromss_loss.h"
#include "train/loss_scaler.h"
#include "train/mixed_precision.h"
#include "train/objective_config.h"
#include "train/optimizer.h"

namespace {

using namespace cromss;

struct BenchOptions {
  std::string fusion_type = "mid";
  std::string model_type = "resnet50";
  int64_t n_channels = 13;
  int64_t batch_size = 16;
  int64_t crop_size = 256;
  std::string device = "cpu";
  std::string precision = "fp32";
  int warmup = 2;
  int steps = 10;
  uint64_t seed = 42;
  double peak_tflops = 0;
  double learning_rate = 0.005;
  bool deterministic = false;
  bool profile_ops = false;
  bool print_conv_algos = false;
  bool branch_streams = false;  // the S1 branch's forward on a second stream
  bool cuda_graph = false;      // time replays of the captured step
  bool channels_last = false;   // activations in nhwc between the input and the logits
  bool conv_bn_fusion = false;  // conv + BN as one cuDNN graph (core/conv_bn_fusion.h)
  std::string json_path;
};

constexpr int kBenchEpoch = 40;  // selection and smoothing both active (method-spec.md §4.3)
constexpr int64_t kClasses = 9;
// bench/README.md: conv FLOPs of one ResNet-50 U-Net branch forward at 256x256 with 13 bands;
// the stem conv (7x7, stride 2, 64 out, 128x128 out) costs 2*49*64*128*128 FLOPs per band.
constexpr double kResNet50BranchGflop256 = 22.44;
constexpr double kStemGflopPerBand256 = 2.0 * 49 * 64 * 128 * 128 / 1e9;

// Forward+backward conv GFLOP of one step (ResNet-50 only): both branches, all `b` pairs; the
// forward, the weight gradients and the input gradients, less the stems' input gradients, which
// are never computed (docs/performance.md: 129.73 GFLOP per 256x256 pair with 13 bands).
double resnet50_step_gflop(int64_t s2_bands, int64_t b, int64_t crop) {
  auto branch = [](int64_t bands) {
    const double forward =
        kResNet50BranchGflop256 - static_cast<double>(13 - bands) * kStemGflopPerBand256;
    return 3.0 * forward - static_cast<double>(bands) * kStemGflopPerBand256;
  };
  const double area = static_cast<double>(crop * crop) / (256.0 * 256.0);
  return area * static_cast<double>(b) * (branch(ModelConfig::kS1Channels) + branch(s2_bands));
}

void synchronize(Device device) {
  if (device.is_cuda()) cuda_api::synchronize(device.index);
}

// Random class ids in [0, 9) on the host, then moved to the device.
Tensor random_labels(const Shape& shape, uint64_t seed, Device device) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> values(static_cast<size_t>(shape_numel(shape)));
  for (auto& v : values) v = static_cast<uint8_t>(rng() % kClasses);
  return Tensor::from_vector(values, shape).to(device);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Wall-clock ms of each of `steps` calls of `step`, the device idle before and after each.
template <class Step>
std::vector<double> time_steps(int steps, Device device, Step step) {
  std::vector<double> ms;
  for (int i = 0; i < steps; ++i) {
    synchronize(device);
    const auto t0 = std::chrono::steady_clock::now();
    step();
    synchronize(device);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return ms;
}

// The --profile_ops table: per op type, calls and ms per step and the share of the profiled step.
nlohmann::json print_op_profile(const OpProfile& profile, int steps, double step_ms,
                                double unprofiled_ms, Device device) {
  std::printf("  op profile    %d profiled steps, median %.2f ms/step (%.2f unprofiled); %s\n",
              steps, step_ms, unprofiled_ms,
              device.is_cuda() ? "CUDA event time on each op's stream (ops on different streams "
                                 "overlap)"
                               : "steady-clock time around each dispatch");
  std::printf("    %-34s %11s %10s %10s\n", "op", "calls/step", "ms/step", "% of step");
  nlohmann::json rows = nlohmann::json::array();
  const double n = static_cast<double>(steps);
  auto row = [&](const std::string& op, int64_t calls, double total_ms) {
    const double per_step = total_ms / n;
    const double percent = step_ms > 0 ? 100.0 * per_step / step_ms : 0.0;
    std::printf("    %-34s %11.1f %10.3f %10.1f\n", op.c_str(), static_cast<double>(calls) / n,
                per_step, percent);
    return nlohmann::json{{"op", op},
                          {"calls", calls},
                          {"calls_per_step", static_cast<double>(calls) / n},
                          {"ms_per_step", per_step},
                          {"percent_of_step", percent}};
  };
  for (const OpProfileRow& r : profile.rows) rows.push_back(row(r.op, r.calls, r.total_ms));
  row("all ops", profile.calls(), profile.total_ms());
  const double rest = step_ms - profile.total_ms() / n;
  std::printf("    %-34s %11s %10.3f %10.1f\n", "rest of the step (host, gaps)", "", rest,
              step_ms > 0 ? 100.0 * rest / step_ms : 0.0);
  return {{"steps", steps}, {"ms_per_step_median", step_ms}, {"ops", rows}};
}

// --print_conv_algos: the cached cuDNN choice of every convolution run so far.
nlohmann::json print_conv_algos() {
  const auto entries = conv_algo_cache().entries();
  std::printf("  cuDNN algorithms (%zu convolutions; %s)\n", entries.size(),
              deterministic_algorithms() ? "heuristic, deterministic only (--deterministic)"
                                         : "fastest measured by cudnnFind*AlgorithmEx");
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& [key, choice] : entries) {
    const std::string line = describe_conv_algo(key, choice);
    std::printf("    %s\n", line.c_str());
    lines.push_back(line);
  }
  return lines;
}

void run_bench(const BenchOptions& o) {
  const Device device = Device::parse(o.device);
  CROMSS_CHECK(o.precision == "fp32" || device.is_cuda(),
               "--precision {}: 16-bit precision needs --device cuda", o.precision);
  CROMSS_CHECK(o.steps > 0 && o.warmup >= 0, "--steps must be > 0, --warmup >= 0");
  CROMSS_CHECK(!o.cuda_graph || o.warmup >= 1,
               "--cuda_graph captures after the warm-up (cuDNN searches, caches): --warmup >= 1");
  CROMSS_CHECK(!o.cuda_graph || !o.branch_streams,
               "--cuda_graph with --branch_streams is not supported yet (docs/performance.md)");
  set_deterministic_algorithms(o.deterministic);
  set_conv_bn_fusion(o.conv_bn_fusion);
  const DType compute = o.precision == "bf16"   ? DType::bf16
                        : o.precision == "fp16" ? DType::f16
                                                : DType::f32;
  const Precision scaler_precision = o.precision == "bf16"   ? Precision::bf16
                                     : o.precision == "fp16" ? Precision::fp16
                                                             : Precision::fp32;

  ModelConfig mc;
  mc.fusion_type = o.fusion_type;
  mc.model_type = o.model_type;
  mc.n_channels = o.n_channels;
  mc.n_classes = kClasses;
  mc.validate();
  auto net = build_model(mc, o.seed);
  net->train(true);
  net->set_branch_streams(o.branch_streams);
  net->set_memory_format(o.channels_last ? MemoryFormat::nhwc : MemoryFormat::nchw);
  ParameterStore store(*net);
  store.to(device);
  std::unique_ptr<MixedPrecisionWeights> mixed;
  if (compute != DType::f32) mixed = std::make_unique<MixedPrecisionWeights>(*net, store, compute);
  Optimizer optimizer(optimizer_config_for("adam", o.learning_rate), store.flat_parameters(),
                      store.flat_gradients());
  LossScaler scaler(scaler_precision, device);
  const ObjectiveConfig objective;

  const int64_t b = o.batch_size, s = o.crop_size;
  const Tensor s1 =
      Tensor::normal({b, ModelConfig::kS1Channels, s, s}, 0, 1, o.seed + 1, DType::f32, device)
          .to(compute);
  const Tensor s2 =
      Tensor::normal({b, o.n_channels, s, s}, 0, 1, o.seed + 2, DType::f32, device).to(compute);
  const Tensor labels = random_labels({b, s, s}, o.seed + 3, device);
  const Tensor prior = Tensor::full({b, kClasses, s, s}, 1.0 / kClasses, DType::f32, device);

  auto step = [&] {
    BranchLogits y = net->forward(s1, s2);
    Tensor loss = cromss_loss(y.s1, y.s2, labels, prior, kBenchEpoch, objective);
    if (scaler.enabled()) loss = mul(loss, scaler.scale().view({}));  // stays on the device
    loss.backward();
    Tensor& grads = store.flat_gradients();
    if (mixed) mixed->accumulate_grads();
    scaler.unscale_and_check(grads);
    optimizer.step(scaler.enabled() ? scaler.found_inf() : Tensor());
    scaler.update();
    store.zero_grad();
    if (mixed) mixed->refresh();
  };

  for (int i = 0; i < o.warmup; ++i) step();
  synchronize(device);
  reset_peak_memory(device);
  CapturedGraph graph;
  if (o.cuda_graph) graph = CapturedGraph::capture(Context::get(device), step);
  int64_t host_syncs = 0;
  const std::vector<double> ms = time_steps(o.steps, device, [&] {
    const SyncCountScope syncs;
    if (graph.captured())
      graph.replay();
    else
      step();
    host_syncs += syncs.elapsed().total();
  });
  const double peak_mib = static_cast<double>(memory_stats(device).peak) / (1024.0 * 1024.0);
  op_profiler::start(OpProfiling::count);
  time_steps(1, device, step);
  const int64_t dispatches_per_step = op_profiler::stop().calls();  // over one step
  const double host_syncs_per_step = static_cast<double>(host_syncs) / o.steps;
  const double med = median(ms);
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  const double pairs_per_s = static_cast<double>(b) * 1000.0 / med;
  const bool has_flops = o.model_type == "resnet50";
  const double gflop = has_flops ? resnet50_step_gflop(o.n_channels, b, s) : 0.0;
  const double tflops = gflop / med;  // GFLOP per ms == TFLOP per s
  const std::string model_name = device_model_name(device);
  const double peak =
      o.peak_tflops > 0 ? o.peak_tflops : dense_peak_tflops(model_name, o.precision);

  std::printf("cromss bench: %s %s-fusion, %lld ch, batch %lld, crop %lld, %s, %s\n",
              o.model_type.c_str(), o.fusion_type.c_str(), static_cast<long long>(o.n_channels),
              static_cast<long long>(b), static_cast<long long>(s), device.str().c_str(),
              o.precision.c_str());
  std::printf("  device        %s\n", model_name.c_str());
  std::printf("  branch streams %s\n",
              o.branch_streams ? "on (S1 forward on a second stream)" : "off");
  std::printf("  graph         %s\n",
              o.cuda_graph ? "timed steps replay the captured step" : "off (eager steps)");
  std::printf("  channels last %s\n", o.channels_last ? "on (nhwc activations)" : "off (nchw)");
  std::printf(
      "  conv+BN fusion %s\n",
      o.conv_bn_fusion ? "on (one cuDNN graph where offered: CUDA, nhwc, bf16/fp16)" : "off");
  std::printf("  parameters    %lld\n", static_cast<long long>(store.parameter_count()));
  std::printf("  steps %d (warm-up %d excluded)\n", o.steps, o.warmup);
  std::printf("  ms/step       median %.2f  mean %.2f\n", med, mean);
  std::printf("  pairs/s       %.2f\n", pairs_per_s);
  if (has_flops) {
    std::printf("  GFLOP/step    %.2f (conv only: fwd, weight and input grads)\n", gflop);
    std::printf("  TFLOP/s       %.3f\n", tflops);
    if (peak > 0)
      std::printf("  MFU           %.1f %% of %.1f TFLOP/s\n", 100.0 * tflops / peak, peak);
  }
  std::printf("  peak memory   %.1f MiB (%s allocator)\n", peak_mib, device.str().c_str());
  std::printf("  host syncs    %.1f per step\n", host_syncs_per_step);
  std::printf(
      "  dispatches    %lld per step (kernel-table calls and objective passes; CUDA kernel "
      "launches not counted)\n",
      static_cast<long long>(dispatches_per_step));
  nlohmann::json op_profile, conv_algos;
  if (o.profile_ops) {
    op_profiler::start(OpProfiling::time);
    const std::vector<double> profiled = time_steps(o.steps, device, step);
    op_profile = print_op_profile(op_profiler::stop(), o.steps, median(profiled), med, device);
  }
  if (o.print_conv_algos) conv_algos = print_conv_algos();

  if (o.json_path.empty()) return;
  nlohmann::json j;
  j["tool"] = "cromss";
  j["model_type"] = o.model_type;
  j["fusion_type"] = o.fusion_type;
  j["n_channels"] = o.n_channels;
  j["batch_size"] = b;
  j["crop_size"] = s;
  j["device"] = device.str();
  j["device_model"] = model_name;
  j["precision"] = o.precision;
  j["branch_streams"] = o.branch_streams;
  j["cuda_graph"] = o.cuda_graph;
  j["channels_last"] = o.channels_last;
  j["conv_bn_fusion"] = o.conv_bn_fusion;
  j["parameters"] = store.parameter_count();
  j["warmup"] = o.warmup;
  j["steps"] = o.steps;
  j["ms_per_step_median"] = med;
  j["ms_per_step_mean"] = mean;
  j["ms_per_step"] = ms;
  j["pairs_per_s"] = pairs_per_s;
  j["gflop_per_step"] = has_flops ? nlohmann::json(gflop) : nlohmann::json();
  j["tflops"] = has_flops ? nlohmann::json(tflops) : nlohmann::json();
  j["peak_tflops"] = peak > 0 ? nlohmann::json(peak) : nlohmann::json();
  j["mfu"] = has_flops && peak > 0 ? nlohmann::json(tflops / peak) : nlohmann::json();
  j["peak_memory_mib"] = peak_mib;
  j["deterministic"] = o.deterministic;
  j["host_syncs_per_step"] = host_syncs_per_step;
  j["dispatches_per_step"] = dispatches_per_step;
  j["kernel_launches_per_step"] = nlohmann::json();  // not counted (needs CUPTI)
  j["op_profile"] = op_profile;
  j["conv_algos"] = conv_algos;
  std::ofstream out(o.json_path);
  if (!out.good()) CROMSS_THROW(IoError, "--json {}: cannot open for writing", o.json_path);
  out << j.dump(2) << "\n";
}

void setup_bench(CLI::App& root) {
  auto opt = std::make_shared<BenchOptions>();
  auto* cmd = root.add_subcommand(
      "bench", "Time the full CromSS training step on synthetic tensors (ms/step, pairs/s, MFU)");
  cmd->add_option("--fusion_type", opt->fusion_type, "mid | late")->capture_default_str();
  cmd->add_option("--model_type", opt->model_type, "resnet18 | resnet34 | resnet50")
      ->capture_default_str();
  cmd->add_option("--n_channels", opt->n_channels, "S2 bands")->capture_default_str();
  cmd->add_option("--batch_size", opt->batch_size, "pairs per step")->capture_default_str();
  cmd->add_option("--crop_size", opt->crop_size, "image side in pixels")->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--precision", opt->precision, "fp32 | bf16 | fp16 (16-bit: CUDA only)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}))
      ->capture_default_str();
  cmd->add_option("--warmup", opt->warmup, "untimed steps first")->capture_default_str();
  cmd->add_option("--steps", opt->steps, "timed steps")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "model and data seed")->capture_default_str();
  cmd->add_option("--learning_rate", opt->learning_rate, "Adam learning rate")
      ->capture_default_str();
  cmd->add_option(
         "--peak_tflops", opt->peak_tflops,
         "device peak for MFU; 0: from the device name (core/device_info.h; none for the CPU)")
      ->capture_default_str();
  cmd->add_flag("--deterministic", opt->deterministic,
                "deterministic cuDNN algorithms from heuristics instead of the fastest measured");
  cmd->add_flag("--profile_ops", opt->profile_ops,
                "after the timed steps, time as many steps per op type (calls/step, ms/step, % of "
                "step; CUDA events on the CUDA device)");
  cmd->add_flag("--print_conv_algos", opt->print_conv_algos,
                "print the cuDNN algorithm chosen for each convolution shape and direction");
  cmd->add_flag("--branch_streams", opt->branch_streams,
                "queue the S1 branch's forward on a second stream (as cromss pretrain)");
  cmd->add_flag("--cuda_graph", opt->cuda_graph,
                "capture the step after the warm-up and time its replays (as cromss pretrain)");
  cmd->add_flag("--channels_last,!--no-channels_last", opt->channels_last,
                "run the network's activations in nhwc (channels_last), as cromss pretrain "
                "--channels_last");
  cmd->add_flag("--conv_bn_fusion,!--no-conv_bn_fusion", opt->conv_bn_fusion, kConvBnFusionHelp);
  cmd->add_option("--json", opt->json_path, "also write the results as JSON here");
  cmd->callback([opt] { run_bench(*opt); });
}

}  // namespace

CROMSS_REGISTER_COMMAND(bench, setup_bench);
