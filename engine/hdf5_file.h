// HDF5 files of named tensors: checkpoints, `cromss forward` / `cromss objective` tensor files,
// golden fixtures. Datasets are read into CPU tensors of the matching dtype (f32, f64, i32, i64,
// u8; other integer types are widened to i64); 0-d datasets are scalars (Shape{}). String
// attributes are variable-length UTF-8. Every HDF5 failure becomes an IoError naming the file and
// dataset; HDF5's own stderr printing is silenced.
//
// write_atomically() is the only way checkpoints are written: the content goes to "<path>.tmp",
// which is flushed, fsynced and renamed over <path>, then the directory is fsynced - a crash or
// SIGTERM at any moment leaves either the old file or the new one, never a torn one. A failed
// write (a full disk) removes the temporary file and throws an IoError naming it; the process can
// then exit normally (HDF5's exit-time teardown, which crashes on such a file, is disabled).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

class H5File {
 public:
  enum class Mode { read, create, read_write };
  H5File(const std::string& path, Mode mode);
  ~H5File();
  H5File(H5File&& o) noexcept;
  H5File& operator=(H5File&&) = delete;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;  // a dataset or group at this path
  // Full paths (without leading '/') of every dataset under `group`, in sorted order.
  std::vector<std::string> datasets(const std::string& group = "/") const;
  Shape shape(const std::string& name) const;
  Tensor read(const std::string& name) const;
  double read_scalar(const std::string& name) const;

  // Creates intermediate groups; replaces an existing dataset of that name.
  void write(const std::string& name, const Tensor& tensor);
  void write_scalar(const std::string& name, double value);       // 0-d float64
  void write_scalar_i64(const std::string& name, int64_t value);  // 0-d int64

  bool has_attr(const std::string& object, const std::string& attr) const;
  std::string read_attr(const std::string& object, const std::string& attr) const;
  void write_attr(const std::string& object, const std::string& attr, const std::string& value);
  void flush();

 private:
  std::string path_;
  int64_t file_ = -1;  // hid_t
};

// Writes `path` through a temporary file, fsync and rename (see above). `fill` writes the content.
void write_atomically(const std::string& path, const std::function<void(H5File&)>& fill);

}  // namespace cromss
