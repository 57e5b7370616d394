// Data loader throughput at 264x264 with the full CromSS pipeline (season, 13 bands, ts prior,
// crop 256, flip, rotation): samples/s with one worker thread (= per core), with the prior built
// in the loader (second argument 0) or handed to the training device as its inputs (1,
// pretraining's --prior_on_device: full-tile labels, season, warp row), plus the pieces
// (LMDB read + parse, prior, the augmentation of one sample). The dataset is a synthetic one
// written once to a temporary directory.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "data/loader.h"
#include "data/synth.h"

namespace cromss::data {
namespace {

const PretrainPaths& bench_dataset() {
  static const PretrainPaths paths = [] {
    SynthOptions o;
    o.out_dir = (std::filesystem::temp_directory_path() / "cromss_bench_loader").string();
    std::filesystem::remove_all(o.out_dir);
    o.n = 32;
    o.seed = 1;
    write_synth_dataset(o);
    PretrainPaths p;
    p.data_path = o.out_dir;
    p.name_clean_label = "dw_labels_clean.lmdb";
    return p;
  }();
  return paths;
}

void BM_LoaderSamplesPerCore(benchmark::State& state) {
  PretrainDataset ds(bench_dataset());
  LoaderOptions o;
  o.batch_size = 8;
  o.workers = static_cast<int>(state.range(0));
  o.export_tile_labels = state.range(1) != 0;
  o.pipeline.with_prior = !o.export_tile_labels;
  std::vector<size_t> items(ds.size());
  for (size_t i = 0; i < items.size(); ++i) items[i] = i;
  Loader loader(ds, items, o);
  uint64_t epoch = 0, samples = 0;
  loader.start_epoch(epoch);
  Batch b;
  for (auto _ : state) {
    if (!loader.next(b)) {
      loader.start_epoch(++epoch);
      loader.next(b);
    }
    samples += b.batch;
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["samples_per_s_per_worker"] =
      benchmark::Counter(static_cast<double>(samples) / o.workers, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LoaderSamplesPerCore)
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->ArgNames({"workers", "prior_on_device"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_ReadLocation(benchmark::State& state) {
  PretrainDataset ds(bench_dataset());
  LocationData loc;
  size_t i = 0;
  for (auto _ : state) ds.read(i++ % ds.size(), loc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadLocation)->Unit(benchmark::kMillisecond);

void BM_Prior264(benchmark::State& state) {
  PretrainDataset ds(bench_dataset());
  LocationData loc;
  ds.read(0, loc);
  std::vector<float> out(9 * 264 * 264);
  for (auto _ : state)
    compute_prior(loc.label.data(), 4, 264, 264, 1, PriorType::ts, 9, out.data());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Prior264)->Unit(benchmark::kMillisecond);

void BM_SamplePipeline(benchmark::State& state) {
  PretrainDataset ds(bench_dataset());
  LocationData loc;
  ds.read(0, loc);
  PipelineOptions opt;
  opt.with_prior = state.range(0) != 0;
  Sample s;
  uint64_t i = 0;
  for (auto _ : state) make_pretrain_sample(loc, opt, 1, 0, i++, s);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SamplePipeline)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cromss::data
