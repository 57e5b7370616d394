// See train/finite_checks.h.
#include "train/finite_checks.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/error.h"

namespace cromss {

void check_finite_loss(double loss, int64_t epoch, int64_t step,
                       const std::vector<size_t>& batch_indices) {
  if (std::isfinite(loss)) return;
  CROMSS_THROW(ValueError,
               "non-finite training loss ({}) at epoch {}, step {} (batch of dataset indices "
               "{}): stopping before the optimizer step; no checkpoint was written, so "
               "checkpoints/last.h5 still holds the last good state. Lower --learning_rate, "
               "check the data (cromss data inspect) or the checkpoint it resumed from",
               loss, epoch, step, batch_indices);
}

namespace {

// "name: n NaN, m Inf of k values", or "" when the tensor is finite (or not floating point).
std::string nonfinite_summary(const std::string& name, const Tensor& t) {
  if (!is_floating(t.dtype())) return "";
  int64_t nan = 0, inf = 0;
  for (double v : t.to_vector<double>()) {
    nan += std::isnan(v);
    inf += std::isinf(v);
  }
  return nan + inf > 0 ? fmt::format("{}: {} NaN, {} Inf of {} values", name, nan, inf, t.numel())
                       : "";
}

// The first 10 items, one per line, and how many more there are.
std::string bullet_list(const std::vector<std::string>& items) {
  constexpr size_t kShown = 10;
  std::string list;
  for (size_t i = 0; i < items.size() && i < kShown; ++i) list += "\n  " + items[i];
  if (items.size() > kShown) list += fmt::format("\n  ... and {} more", items.size() - kShown);
  return list;
}

}  // namespace

void check_finite_state(const std::vector<NamedTensor>& state, int64_t epoch, int64_t step,
                        const std::string& checkpoint_path) {
  std::vector<std::string> found;
  for (const NamedTensor& s : state)
    if (std::string f = nonfinite_summary(s.name, *s.tensor); !f.empty()) found.push_back(f);
  if (found.empty()) return;
  CROMSS_THROW(ValueError,
               "non-finite model values after step {} (epoch {}): the last optimizer step "
               "diverged; not writing {}, so the previous checkpoint is kept. Lower "
               "--learning_rate. {} tensor(s):{}",
               step, epoch, checkpoint_path, found.size(), bullet_list(found));
}

std::vector<std::string> nonfinite_datasets(const H5File& file) {
  std::vector<std::string> found;
  for (const char* group : {"model", "optimizer"}) {
    if (!file.has(group)) continue;
    for (const std::string& name : file.datasets(group))
      if (std::string f = nonfinite_summary(name, file.read(name)); !f.empty()) found.push_back(f);
  }
  return found;
}

void check_finite_checkpoint(const H5File& file) {
  const std::vector<std::string> found = nonfinite_datasets(file);
  if (found.empty()) return;
  CROMSS_THROW(ValueError,
               "{}: {} dataset(s) hold non-finite values (pass --allow_nonfinite to load it "
               "anyway):{}",
               file.path(), found.size(), bullet_list(found));
}

}  // namespace cromss
