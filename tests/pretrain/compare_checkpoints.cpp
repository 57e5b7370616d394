// cromss_ckpt_compare A.h5 B.h5 [--params-only] [--rtol R --atol A] [--group G]...: compares
// the datasets of two checkpoints (default groups: model, optimizer, scaler, scheduler, data,
// and the scalars step and epoch) - names, dtypes and shapes must agree; values bit for bit, or
// within |a - b| <= atol + rtol |b| when a tolerance is given. --params-only compares /model
// without the BatchNorm buffers (running_mean, running_var, num_batches_tracked): the 2-rank test's
// BN buffers follow rank 0 (method-spec.md §9.31). Exit 0 when equal, 1 with the first mismatches
// listed.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/hdf5_file.h"

namespace {

bool is_bn_buffer(const std::string& name) {
  return name.find("running_") != std::string::npos ||
         name.find("num_batches_tracked") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cromss;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s A.h5 B.h5 [--params-only] [--rtol R] [--atol A]\n", argv[0]);
    return 2;
  }
  bool params_only = false;
  double rtol = 0, atol = 0;
  std::vector<std::string> groups;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--params-only")
      params_only = true;
    else if (a == "--rtol" && i + 1 < argc)
      rtol = std::stod(argv[++i]);
    else if (a == "--atol" && i + 1 < argc)
      atol = std::stod(argv[++i]);
    else if (a == "--group" && i + 1 < argc)
      groups.push_back(argv[++i]);
  }
  if (groups.empty())
    groups = params_only
                 ? std::vector<std::string>{"model"}
                 : std::vector<std::string>{"model", "optimizer", "scaler", "scheduler", "data"};
  try {
    H5File fa(argv[1], H5File::Mode::read), fb(argv[2], H5File::Mode::read);
    int64_t compared = 0, mismatches = 0;
    if (!params_only)
      for (const char* scalar : {"step", "epoch"}) {
        const double a = fa.read_scalar(scalar), b = fb.read_scalar(scalar);
        if (a != b) {
          std::printf("/%s: %g vs %g\n", scalar, a, b);
          ++mismatches;
        }
      }
    for (const auto& g : groups) {
      std::vector<std::string> na, nb;
      if (fa.has(g)) na = fa.datasets(g);
      if (fb.has(g)) nb = fb.datasets(g);
      if (na != nb) {
        std::printf("group %s: dataset names differ (%zu vs %zu)\n", g.c_str(), na.size(),
                    nb.size());
        return 1;
      }
      for (const auto& name : na) {
        if (params_only && is_bn_buffer(name)) continue;
        const Tensor a = fa.read(name), b = fb.read(name);
        ++compared;
        if (a.dtype() != b.dtype() || a.shape() != b.shape()) {
          std::printf("%s: %s vs %s\n", name.c_str(), a.str().c_str(), b.str().c_str());
          ++mismatches;
          continue;
        }
        if (rtol == 0 && atol == 0) {
          if (std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) != 0) {
            if (++mismatches <= 10) std::printf("%s: bits differ\n", name.c_str());
          }
          continue;
        }
        const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
        double worst = 0;
        for (size_t i = 0; i < va.size(); ++i)
          worst = std::max(worst, std::abs(va[i] - vb[i]) - (atol + rtol * std::abs(vb[i])));
        if (worst > 0 && ++mismatches <= 10)
          std::printf("%s: exceeds the tolerance by %.3g\n", name.c_str(), worst);
      }
    }
    std::printf("%lld datasets compared, %lld differ\n", static_cast<long long>(compared),
                static_cast<long long>(mismatches));
    return mismatches == 0 && compared > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cromss_ckpt_compare: %s\n", e.what());
    return 1;
  }
}
