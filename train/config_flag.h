// One row per command-line flag of a configuration struct (issue 10 item 5: each flag defined
// once). A row names the flag, its short alias, upstream's argparse dest (the JSON key of
// params.txt), the struct field, the help text and group, the allowed values and whether cromss
// supports, ignores (with a note) or rejects it. The CLI registration (apps/pretrain_flags.cpp),
// to_json()/from_json(), validate()'s choice and rejection checks and the docs/flags.md consistency
// test all read the same table, so a flag cannot be added in one place and forgotten in another.
//
// This header holds the row type and the table-driven JSON and checks; it knows no CLI library.
#pragma once

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace cromss {

enum class FlagStatus {
  supported,  // works (docs/flags.md: supported or changed)
  ignored,    // accepted, stored for params.txt, a note is printed when given
  rejected,   // a bool flag that validate() refuses when set, with the row's note
};

// The struct field a flag sets; the alternative decides how the flag parses (bool: store_true
// with a --no- form; vector: argparse nargs='*'; the rest: one value).
template <class Config>
using ConfigField = std::variant<std::string Config::*, bool Config::*, int Config::*,
                                 double Config::*, std::optional<int> Config::*,
                                 std::vector<int> Config::*, std::vector<double> Config::*>;

template <class Config>
struct ConfigFlag {
  const char* dest;   // JSON key: upstream's argparse dest; engine-only flags use their name
  const char* names;  // CLI11 spelling, short alias first: "-v,--validation"
  ConfigField<Config> field;
  const char* group;
  const char* help;  // empty for ignored flags: "Accepted and ignored: <note>"
  FlagStatus status = FlagStatus::supported;
  // ignored: the note printed as "<flag>: <note>" when given; rejected: validate()'s message
  // "<flag>: <note>"; with keep_first: the note printed when values are cut.
  const char* note = "";
  // Checked by the parser and by validate(). (Not `= {}`: GCC 12 crashes on that initializer
  // in this aggregate's designated initialisation, and without one it warns.)
  std::vector<std::string> choices = std::vector<std::string>(0);
  bool store_false = false;           // upstream's store_false: giving the flag clears it
  const char* quiet_value = nullptr;  // ignored string option: no note for this value
  std::size_t keep_first = 0;         // list: values after the first N are cut (0: none)
  bool objective = false;             // also a flag of `cromss objective`

  // "--validation" for "-v,--validation".
  std::string flag() const {
    const std::string n = names;
    return n.substr(n.rfind(',') + 1);
  }
};

namespace config_flag_detail {

inline void assign(const nlohmann::json& x, std::optional<int>& v) {
  if (x.is_null()) {
    v.reset();
  } else {
    v = x.get<int>();
  }
}
inline void assign(const nlohmann::json& x, std::string& v) {
  // Upstream's --resume defaults to the bool False.
  if (x.is_boolean() && !x.get<bool>()) {
    v.clear();
  } else {
    v = x.get<std::string>();
  }
}
inline void assign(const nlohmann::json& x, int& v) {
  if (!x.is_number_integer()) throw std::invalid_argument("expected an integer");
  v = x.get<int>();
}
template <class T>
void assign(const nlohmann::json& x, T& v) {
  v = x.get<T>();
}

inline std::string choice_list(const std::vector<std::string>& choices) {
  return fmt::format("{}", fmt::join(choices, ", "));
}

}  // namespace config_flag_detail

// Every row's field under its dest; std::nullopt as null.
template <class Config>
nlohmann::json flags_to_json(const Config& c, const std::vector<ConfigFlag<Config>>& table) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& row : table) {
    std::visit(
        [&](auto member) {
          const auto& v = c.*member;
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::optional<int>>) {
            j[row.dest] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
          } else {
            j[row.dest] = v;
          }
        },
        row.field);
  }
  return j;
}

// Reads the rows' dests from `j` into `c`; missing keys keep their values, unknown keys are
// ignored, a wrong type names the key and the flag.
template <class Config>
void flags_from_json(const nlohmann::json& j, const std::vector<ConfigFlag<Config>>& table,
                     Config& c) {
  if (!j.is_object())
    CROMSS_THROW(ValueError, "config JSON: expected an object of flag values, got {}",
                 j.type_name());
  for (const auto& row : table) {
    auto it = j.find(row.dest);
    if (it == j.end()) continue;
    try {
      std::visit([&](auto member) { config_flag_detail::assign(*it, c.*member); }, row.field);
    } catch (const std::exception& e) {
      CROMSS_THROW(ValueError, "config JSON key '{}' ({}): {} (value {})", row.dest, row.flag(),
                   e.what(), it->dump());
    }
  }
}

// validate()'s table part: every string or int field with choices holds one of them, and no
// rejected flag is set. Throws ValueError naming the flag.
template <class Config>
void check_flag_table(const Config& c, const std::vector<ConfigFlag<Config>>& table) {
  for (const auto& row : table) {
    std::visit(
        [&](auto member) {
          const auto& v = c.*member;
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) {
            if (row.status == FlagStatus::rejected)
              CROMSS_CHECK(!v, "{}: {}", row.flag(), row.note);
          } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, int>) {
            if (row.choices.empty()) return;
            std::string value;
            if constexpr (std::is_same_v<T, int>) {
              value = std::to_string(v);
            } else {
              value = v;
            }
            CROMSS_CHECK(
                std::find(row.choices.begin(), row.choices.end(), value) != row.choices.end(),
                "{}: expected one of {{{}}}, got '{}'", row.flag(),
                config_flag_detail::choice_list(row.choices), value);
          }
        },
        row.field);
  }
}

}  // namespace cromss
