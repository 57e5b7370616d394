// Model metadata (see model_metadata.h).
#include "train/model_metadata.h"

#include "core/error.h"
#include "data/sample_pipeline.h"
#include "data/ssl4eo_stats.h"
#include "train/checkpoint.h"

namespace cromss {

namespace {

constexpr const char* kS2BandNames[data::kS2Bands] = {"B1", "B2",  "B3", "B4",  "B5",  "B6", "B7",
                                                      "B8", "B8A", "B9", "B10", "B11", "B12"};
constexpr const char* kDwClassNames[data::kDwClasses] = {
    "water",           "trees",      "grass",       "flooded_vegetation", "crops",
    "shrub_and_scrub", "built_area", "bare_ground", "snow_and_ice"};
constexpr const char* kEncoding =
    "SSL4EO-S12 uint8 encoding per band: u = clip(floor((v - (mean - 2*std)) / (4*std) * 255), "
    "0, 255); model input = u / 255 as float32 (no further standardisation). S1 v in dB "
    "(10*log10 of GRD backscatter), S2 v = L1C digital numbers (reflectance * 10000).";

nlohmann::json branch(const std::vector<std::string>& bands, const std::vector<double>& mean,
                      const std::vector<double>& std) {
  return {{"bands", bands}, {"mean", mean}, {"std", std}, {"scale", 1.0 / 255.0}};
}

}  // namespace

nlohmann::json model_metadata(const ModelConfig& c) {
  nlohmann::json m = {{"model", c.to_json()}, {"encoding", kEncoding}};
  if (c.has_s1()) {
    m["s1"] = branch({"VV", "VH"}, {data::kS1Mean[0], data::kS1Mean[1]},
                     {data::kS1Std[0], data::kS1Std[1]});
  }
  if (c.has_s2()) {
    std::vector<std::string> names;
    std::vector<double> mean, std;
    const bool known =
        c.n_channels == 13 || c.n_channels == 12 || c.n_channels == 9 || c.n_channels == 3;
    if (known) {
      for (int i : data::s2_band_indices(static_cast<int>(c.n_channels))) {
        names.emplace_back(kS2BandNames[i]);
        mean.push_back(data::kS2Mean[i]);
        std.push_back(data::kS2Std[i]);
      }
      m["s2"] = branch(names, mean, std);
    } else {
      m["s2"] = {{"bands", "unknown: " + std::to_string(c.n_channels) + " channels"}};
    }
  }
  std::vector<std::string> classes;
  for (int64_t k = 0; k < c.n_classes; ++k)
    classes.push_back(c.n_classes == data::kDwClasses ? kDwClassNames[k]
                                                      : "class_" + std::to_string(k));
  m["class_names"] = classes;
  m["class_source"] = c.n_classes == data::kDwClasses ? "Google Dynamic World v1 label band"
                                                      : "unknown (not the 9 DW classes)";
  return m;
}

void write_model_metadata(H5File& file, const nlohmann::json& run_config) {
  file.write_attr("/", kMetadataAttribute,
                  model_metadata(ModelConfig::from_json(run_config)).dump());
}

ModelConfig checkpoint_model_config(const H5File& file) {
  ModelConfig c = ModelConfig::from_json(read_checkpoint_config(file));
  std::map<std::string, Shape> state;
  for (auto& [key, shape] : checkpoint_state_shapes(file)) {
    std::string k = state_key(key);
    if (!k.empty()) state[k] = shape;
  }
  if (!state.empty()) c = ModelConfig::infer_from_state(state, c);
  return c;
}

nlohmann::json read_model_metadata(const H5File& file) {
  if (!file.has_attr("/", kMetadataAttribute)) return model_metadata(checkpoint_model_config(file));
  const std::string text = file.read_attr("/", kMetadataAttribute);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    CROMSS_THROW(IoError, "{}: root attribute '{}' is not JSON: {}", file.path(),
                 kMetadataAttribute, e.what());
  }
}

std::map<std::string, std::string> flat_metadata(const nlohmann::json& metadata) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : metadata.items())
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace cromss
