// See train/pretrain_state.h.
#include "train/pretrain_state.h"

#include <map>
#include <string>

#include "core/error.h"
#include "train/checkpoint.h"

namespace cromss {
namespace {

void write_all(H5File& file, const std::map<std::string, Tensor>& tensors) {
  for (const auto& [key, t] : tensors) file.write(key, t.to(Device::cpu()));
}

std::map<std::string, Tensor> read_group(const H5File& file, const std::string& group) {
  CROMSS_CHECK(file.has(group),
               "{}: no /{} group - not a training checkpoint of cromss pretrain (to start from "
               "its weights only, pass --pre-train)",
               file.path(), group);
  std::map<std::string, Tensor> out;
  for (const auto& name : file.datasets(group)) out[name] = file.read(name);
  return out;
}

}  // namespace

std::vector<FlatSlice> checkpoint_slices(const ParameterStore& store) {
  std::vector<FlatSlice> slices;
  for (const auto& e : store.entries())
    slices.push_back({checkpoint_key(e.name), e.offset, e.shape});
  return slices;
}

void write_training_state(H5File& file, const TrainPosition& pos, uint64_t seed,
                          const Optimizer& optimizer, const std::vector<FlatSlice>& slices,
                          const LossScaler& scaler, const LrSchedule& schedule) {
  file.write_scalar_i64("step", pos.step);
  file.write_scalar_i64("epoch", pos.epoch);
  file.write_scalar_i64("data/batches_consumed", pos.batches);
  file.write("data/epoch_sums",
             Tensor::from_vector(pos.epoch_sums, {static_cast<int64_t>(pos.epoch_sums.size())}));
  file.write_scalar_i64("rng/seed", static_cast<int64_t>(seed));
  std::map<std::string, Tensor> state;
  optimizer.save_sliced(state, slices, "optimizer/");
  scaler.save(state, "scaler/");
  schedule.save(state, "scheduler/");
  write_all(file, state);
}

TrainPosition read_training_state(const H5File& file, uint64_t seed, Optimizer& optimizer,
                                  const std::vector<FlatSlice>& slices, LossScaler& scaler,
                                  LrSchedule& schedule) {
  for (const char* name : {"step", "epoch", "data/batches_consumed", "data/epoch_sums"})
    CROMSS_CHECK(file.has(name),
                 "{}: no /{} dataset - not a training checkpoint of cromss pretrain (to start "
                 "from its weights only, pass --pre-train)",
                 file.path(), name);
  const auto saved_seed = static_cast<uint64_t>(file.read_scalar("rng/seed"));
  CROMSS_CHECK(saved_seed == seed, "{}: written with --seed {}, this run has --seed {}",
               file.path(), saved_seed, seed);
  TrainPosition pos;
  pos.step = static_cast<int64_t>(file.read_scalar("step"));
  pos.epoch = static_cast<int64_t>(file.read_scalar("epoch"));
  pos.batches = static_cast<int64_t>(file.read_scalar("data/batches_consumed"));
  pos.epoch_sums = file.read("data/epoch_sums").to_vector<double>();
  optimizer.load_sliced(read_group(file, "optimizer"), slices, "optimizer/");
  scaler.load(read_group(file, "scaler"), "scaler/");
  schedule.load(read_group(file, "scheduler"), "scheduler/");
  return pos;
}

}  // namespace cromss
