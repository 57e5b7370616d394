// cromss_fault_tool: plants the faults of tests/reliability/reliability_test.sh in real files, and
// counts what the test checks:
//   h5-set FILE DATASET INDEX VALUE   sets element INDEX of a float dataset (nan, inf, or a number)
//   h5-nonfinite FILE                 prints how many NaN/Inf values the float datasets hold
//   h5-scalar FILE DATASET            prints a 0-d dataset (e.g. step)
//   lmdb-put LMDB KEY TEXT            stores TEXT under KEY (a record that is not a pickle)
// Exit 0 on success, 1 with a message on failure.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "data/lmdb_env.h"
#include "engine/hdf5_file.h"

int main(int argc, char** argv) {
  using namespace cromss;
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "h5-set" && argc == 6) {
      H5File f(argv[2], H5File::Mode::read_write);
      Tensor t = f.read(argv[3]);
      if (t.dtype() != DType::f32) throw std::runtime_error("not a float32 dataset");
      const long index = std::atol(argv[4]);
      if (index < 0 || index >= t.numel()) throw std::runtime_error("index out of range");
      t.data<float>()[index] = std::strtof(argv[5], nullptr);
      f.write(argv[3], t);
      return 0;
    }
    if (cmd == "h5-nonfinite" && argc == 3) {
      H5File f(argv[2], H5File::Mode::read);
      long long bad = 0;
      for (const std::string& name : f.datasets("/")) {
        const Tensor t = f.read(name);
        if (!is_floating(t.dtype())) continue;
        for (double v : t.to_vector<double>()) bad += !std::isfinite(v);
      }
      std::printf("%lld\n", bad);
      return 0;
    }
    if (cmd == "h5-scalar" && argc == 4) {
      H5File f(argv[2], H5File::Mode::read);
      std::printf("%.17g\n", f.read_scalar(argv[3]));
      return 0;
    }
    if (cmd == "lmdb-put" && argc == 5) {
      data::LmdbWriter w(argv[2], size_t{1} << 28);
      w.put(argv[3], argv[4]);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cromss_fault_tool %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s h5-set FILE DATASET INDEX VALUE | h5-nonfinite FILE | h5-scalar FILE "
               "DATASET | lmdb-put LMDB KEY TEXT\n",
               argv[0]);
  return 2;
}
