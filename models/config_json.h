// Reading one optional field of a model's JSON config (checkpoint /config): an absent or null key
// keeps the field's default; a value of the wrong type is a ValueError naming the key.
#pragma once

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace cromss {

template <class T>
void read_config_field(const nlohmann::json& config, const char* key, T& field) {
  if (!config.contains(key) || config[key].is_null()) return;
  try {
    config[key].get_to(field);
  } catch (const nlohmann::json::exception& e) {
    CROMSS_THROW(ValueError, "config '{}': unexpected value {} ({})", key, config[key].dump(),
                 e.what());
  }
}

}  // namespace cromss
