// See train/resume_checks.h.
#include "train/resume_checks.h"

#include <filesystem>

#include "core/error.h"

namespace cromss {
namespace {

struct FlagKey {
  const char* dest;  // key in the checkpoint config (upstream's argparse dest)
  const char* flag;
};

// The flag's value as the user writes it (strings without JSON quotes).
std::string shown(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string normal_path(const std::string& p) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(p, ec);
  return (ec ? std::filesystem::path(p) : canonical).lexically_normal().string();
}

bool same_value(const FlagKey& k, const nlohmann::json& a, const nlohmann::json& b) {
  if (std::string(k.dest) == "data_path" && a.is_string() && b.is_string())
    return normal_path(a.get<std::string>()) == normal_path(b.get<std::string>());
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

void check_keys(const nlohmann::json& saved, const PretrainConfig& cfg,
                std::initializer_list<FlagKey> keys, const std::string& path,
                const std::string& why) {
  if (!saved.is_object()) return;
  const nlohmann::json now = cfg.to_json();
  for (const FlagKey& k : keys) {
    if (!saved.contains(k.dest) || !now.contains(k.dest)) continue;
    if (same_value(k, saved[k.dest], now[k.dest])) continue;
    CROMSS_THROW(ValueError, "{} {}: the checkpoint {} was written with {} {}; {}", k.flag,
                 shown(now[k.dest]), path, k.flag, shown(saved[k.dest]), why);
  }
}

}  // namespace

void check_resume_model_flags(const nlohmann::json& saved, const PretrainConfig& cfg,
                              const std::string& path) {
  check_keys(saved, cfg,
             {{"it", "--input_type"},
              {"mt", "--model_type"},
              {"n_channels", "--n_channels"},
              {"n_classes", "--n_classes"}},
             path,
             "a resumed run must build the same model (start a new run in another --run_dir or "
             "--save_dir to change it)");
  if (cfg.multi_modal())
    check_keys(saved, cfg, {{"fuse_type", "--fusion_type"}}, path,
               "a resumed run must build the same model (start a new run in another --run_dir "
               "or --save_dir to change it)");
}

void check_resume_mid_epoch_flags(const nlohmann::json& saved, const PretrainConfig& cfg,
                                  const std::string& path, int64_t epoch, int64_t batches_done) {
  if (batches_done <= 0) return;
  check_keys(saved, cfg,
             {{"bs", "--batch_size"},
              {"data_path", "--data_path"},
              {"val", "--validation"},
              {"seed", "--seed"}},
             path,
             fmt::format("it stopped in the middle of epoch {} after {} batches, and the rest of "
                         "that epoch depends on this flag: resume with the checkpoint's value",
                         epoch, batches_done));
}

}  // namespace cromss
