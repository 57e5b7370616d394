// Lightning .ckpt or HDF5 checkpoint -> H5File (see model_file.h).
#include "train/model_file.h"

#include <fmt/format.h>

#include "data/torch_checkpoint.h"
#include "data/zip_reader.h"
#include "train/checkpoint.h"

namespace cromss {

H5File open_model_file(const std::string& path) {
  if (!data::ZipReader::looks_like_zip(path)) return H5File(path, H5File::Mode::read);
  data::TorchCheckpoint ckpt = data::read_torch_checkpoint(path);
  H5File file(path, H5File::Mode::memory);
  file.write_attr("/", "format_version", kCheckpointFormatVersion);
  file.write_attr("/", "engine_version", "cromss native Lightning .ckpt import");
  file.write_attr("/", "config", ckpt.config.dump());
  std::string order;
  for (const auto& [key, tensor] : ckpt.state_dict) {
    file.write(std::string(kModelGroup) + "/" + key, tensor);
    order += (order.empty() ? "" : "\n") + key;
  }
  if (!ckpt.state_dict.empty()) file.write_attr(kModelGroup, "key_order", order);
  file.write_scalar_i64("step", ckpt.global_step);
  file.write_scalar_i64("data/epoch", ckpt.epoch);
  return file;
}

}  // namespace cromss
