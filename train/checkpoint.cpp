// HDF5 checkpoints (see checkpoint.h).
#include "train/checkpoint.h"

#include <fmt/format.h>

#include <set>
#include <vector>

#include "core/version.h"
#include "train/model_metadata.h"

namespace cromss {

namespace {

const std::string kPrefix = kLightningPrefix;
const std::string kGroupPrefix = std::string(kModelGroup) + "/";

std::string dataset_name(const std::string& state_key) {
  return kGroupPrefix + checkpoint_key(state_key);
}

}  // namespace

std::string checkpoint_key(const std::string& key) {
  return kPrefix + key;
}

std::string state_key(const std::string& key) {
  return key.rfind(kPrefix, 0) == 0 ? key.substr(kPrefix.size()) : std::string();
}

void write_checkpoint_attributes(H5File& file, const nlohmann::json& config) {
  file.write_attr("/", "format_version", kCheckpointFormatVersion);
  file.write_attr("/", "engine_version",
                  fmt::format("cromss {} ({})", CROMSS_VERSION, CROMSS_GIT_SHA));
  file.write_attr("/", "config", config.dump());
  write_model_metadata(file, config);
}

void write_model_state(H5File& file, Module& model) {
  for (auto& s : model.state()) file.write(dataset_name(s.name), *s.tensor);
}

void save_checkpoint(const std::string& path, Module& model, const nlohmann::json& config,
                     const std::function<void(H5File&)>& write_extra) {
  write_atomically(path, [&](H5File& file) {
    write_checkpoint_attributes(file, config);
    write_model_state(file, model);
    if (write_extra) write_extra(file);
  });
}

std::map<std::string, Shape> checkpoint_state_shapes(const H5File& file) {
  std::map<std::string, Shape> shapes;
  if (!file.has(kModelGroup)) return shapes;
  for (const std::string& path : file.datasets(kModelGroup)) {
    std::string key = path.substr(kGroupPrefix.size());
    shapes[key] = file.shape(path);
  }
  return shapes;
}

void load_model_state(const H5File& file, Module& model) {
  CROMSS_CHECK(file.has(kModelGroup), "{}: no /{} group: not a cromss checkpoint", file.path(),
               kModelGroup);
  std::map<std::string, Shape> in_file = checkpoint_state_shapes(file);
  std::vector<NamedTensor> expected = model.state();
  std::vector<std::string> problems;
  std::set<std::string> matched;
  std::vector<std::pair<NamedTensor, Tensor>> loads;
  for (auto& s : expected) {
    std::string key = checkpoint_key(s.name);
    auto it = in_file.find(key);
    if (it == in_file.end()) {
      problems.push_back(fmt::format("missing {} {}", key, shape_str(s.tensor->shape())));
      continue;
    }
    matched.insert(key);
    if (it->second != s.tensor->shape()) {
      problems.push_back(fmt::format("mis-shaped {}: file {}, model {}", key, shape_str(it->second),
                                     shape_str(s.tensor->shape())));
      continue;
    }
    Tensor value = file.read(kGroupPrefix + key);
    if (value.dtype() != s.tensor->dtype()) {
      problems.push_back(fmt::format("wrong dtype {}: file {}, model {}", key,
                                     dtype_name(value.dtype()), dtype_name(s.tensor->dtype())));
      continue;
    }
    loads.emplace_back(s, std::move(value));
  }
  for (auto& [key, shape] : in_file)
    if (!matched.count(key))
      problems.push_back(fmt::format("unexpected {} {}", key, shape_str(shape)));
  if (!problems.empty()) {
    std::string list;
    for (auto& p : problems) list += "\n  " + p;
    CROMSS_THROW(ValueError,
                 "{}: checkpoint does not fit the model ({} of {} expected keys found, {} "
                 "problems):{}",
                 file.path(), matched.size(), expected.size(), problems.size(), list);
  }
  for (auto& [s, value] : loads) s.tensor->copy_(value);
}

void load_checkpoint(const std::string& path, Module& model,
                     const std::function<void(const H5File&)>& read_extra) {
  H5File file(path, H5File::Mode::read);
  load_model_state(file, model);
  if (read_extra) read_extra(file);
}

nlohmann::json read_checkpoint_config(const H5File& file) {
  if (!file.has_attr("/", "config")) return nlohmann::json::object();
  std::string text = file.read_attr("/", "config");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    CROMSS_THROW(IoError, "{}: root attribute 'config' is not JSON: {}", file.path(), e.what());
  }
}

}  // namespace cromss
