// Registers upstream's pretraining flags on the `cromss pretrain` subcommand, and the objective
// subset that `cromss objective` shares (see pretrain_flags.h), row by row from the flag table
// pretrain_config_flags() (train/pretrain_config_flags.cpp); docs/flags.md explains each flag.
#include "apps/pretrain_flags.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace cromss::app {

namespace {

using Flag = ConfigFlag<PretrainConfig>;

// An argparse nargs='*' list: zero or more values, the whole list replaced when given (an empty
// list included, which CLI11's vector options would turn into the default).
template <class T>
CLI::Option* list_option(CLI::App& cmd, const std::string& names,
                         std::function<void(std::vector<T>)> assign, const std::string& help) {
  CLI::callback_t parse = [assign](const CLI::results_t& res) {
    std::vector<T> values;
    for (const std::string& s : res) {
      if (s.empty()) continue;
      values.emplace_back();
      if (!CLI::detail::lexical_cast(s, values.back())) return false;
    }
    assign(std::move(values));
    return true;
  };
  return cmd.add_option(names, std::move(parse), help, false)
      ->type_name(CLI::detail::type_name<T>())
      ->type_size(1)
      ->expected(0, CLI::detail::expected_max_vector_size)
      ->allow_extra_args();
}

// Registers one row of the flag table, bound to `field`. The row decides the form:
//   bool, store_false   --amp{false}: giving the flag clears the field (upstream's store_false)
//   bool                store_true with a --no-<flag> form (the last one given wins); an ignored
//                       one also notes when set
//   vector              argparse nargs='*' (list_option); keep_first cuts with a note
//   other               one value; an ignored one notes when given (except its quiet_value)
// Choices become a CLI11 membership check; the same list is validate()'s (check_flag_table).
struct FlagAdder {
  CLI::App& cmd;
  const Flag& row;
  const NoteSink& sink;

  std::string help() const {
    return *row.help ? row.help : "Accepted and ignored: " + std::string(row.note);
  }
  std::string note() const { return row.flag() + ": " + row.note; }
  bool ignored() const { return row.status == FlagStatus::ignored; }

  CLI::Option* operator()(bool& field) const {
    if (row.store_false) return cmd.add_flag(std::string(row.names) + "{false}", field, help());
    const std::string names = std::string(row.names) + ",!--no-" + row.flag().substr(2);
    CLI::Option* opt = nullptr;
    if (ignored()) {
      opt = cmd.add_flag_callback(
          names,
          [&field, note = note(), sink = sink] {
            field = true;
            sink(note);
          },
          help());
    } else {
      opt = cmd.add_flag(names, field, help());
    }
    return opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }

  template <class T>
  CLI::Option* operator()(std::vector<T>& field) const {
    const bool notes_when_given = ignored();
    const std::size_t keep_first = row.keep_first;
    return list_option<T>(
        cmd, row.names,
        [&field, notes_when_given, keep_first, note = note(), sink = sink](std::vector<T> v) {
          if (keep_first > 0 && v.size() > keep_first) {
            v.resize(keep_first);
            sink(note);
          }
          field = std::move(v);
          if (notes_when_given) sink(note);
        },
        help());
  }

  template <class T>
  CLI::Option* operator()(T& field) const {
    CLI::Option* opt = nullptr;
    if (ignored()) {
      const std::string flag = row.flag();
      std::optional<std::string> quiet;
      if (row.quiet_value) quiet = row.quiet_value;
      opt = cmd.add_option_function<T>(
          row.names,
          [&field, flag, quiet, note = std::string(row.note), sink = sink](const T& v) {
            field = v;
            if constexpr (std::is_same_v<T, std::string>) {
              if (quiet) {
                if (v != *quiet) sink(flag + " " + v + ": " + note);
                return;
              }
            }
            sink(flag + ": " + note);
          },
          help());
      if (quiet) opt->default_str(*quiet);
    } else {
      opt = cmd.add_option(row.names, field, help());
      if constexpr (std::is_same_v<T, std::string>) {
        if (!field.empty()) opt->capture_default_str();
      } else {
        opt->capture_default_str();
      }
    }
    if (row.choices.empty()) return opt;
    if constexpr (std::is_same_v<T, int>) {
      std::vector<int> values;
      for (const std::string& v : row.choices) values.push_back(std::stoi(v));
      opt->check(CLI::IsMember(values));
    } else {
      opt->check(CLI::IsMember(row.choices));
    }
    return opt;
  }
};

void add_flag(CLI::App& cmd, PretrainConfig& c, const Flag& row, const NoteSink& note) {
  std::visit(
      [&](auto member) {
        return FlagAdder{cmd, row, note}(c.*member);
      },
      row.field)
      ->group(row.group);
}

}  // namespace

void add_objective_flags(CLI::App& cmd, PretrainConfig& c, const NoteSink& note,
                         bool allow_prior_none) {
  for (const Flag& row : pretrain_config_flags()) {
    if (!row.objective) continue;
    if (allow_prior_none && row.dest == std::string("ls_prior_type")) {
      Flag with_none = row;
      with_none.choices.push_back("none");
      with_none.help =
          "Prior: ts (mean of temporal and spatial), t, s, or none (uniform smoothing only; not "
          "in upstream)";
      add_flag(cmd, c, with_none, note);
    } else {
      add_flag(cmd, c, row, note);
    }
  }
}

void print_note_to_stderr(const std::string& note) {
  std::fprintf(stderr, "cromss pretrain: note: %s\n", note.c_str());
}

void add_pretrain_flags(CLI::App& cmd, PretrainConfig& cfg, NoteSink note) {
  for (const Flag& row : pretrain_config_flags()) add_flag(cmd, cfg, row, note);
}

std::vector<std::string> expand_flag_abbreviations(const CLI::App& cmd,
                                                   std::vector<std::string> args) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
  }
  for (std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq);
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::vector<std::string> matches;
    for (const std::string& n : names)
      if (n.rfind(key, 0) == 0) matches.push_back(n);
    CROMSS_CHECK(matches.size() <= 1, "ambiguous option: {} could match {}", key,
                 fmt::join(matches, ", "));
    if (matches.size() == 1) arg = matches[0] + (eq == std::string::npos ? "" : arg.substr(eq));
  }
  return args;
}

}  // namespace cromss::app
