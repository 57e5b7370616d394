// The flag table of `cromss pretrain` (pretrain_config_flags(), train/config_flag.h) against the
// two places that must agree with it: the CLI that apps/pretrain_flags.cpp registers from it, and
// docs/flags.md. Every table flag is registered (with its short alias and, for store_true flags,
// its --no- form) and nothing else is; every table flag has a docs/flags.md row whose status
// matches the table's; the docs' rejected flags that are not in the table are not registered; the
// choice lists reach both the parser and validate().
#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "apps/pretrain_flags.h"
#include "core/error.h"
#include "train/pretrain_config.h"

namespace cromss {
namespace {

using Flag = ConfigFlag<PretrainConfig>;

bool is_bool(const Flag& row) {
  return std::holds_alternative<bool PretrainConfig::*>(row.field);
}

// "-v,--validation" -> {"-v", "--validation"}.
std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  std::stringstream in(names);
  for (std::string n; std::getline(in, n, ',');) out.push_back(n);
  return out;
}

// Every name (long as --x, short as -x) of the options on `cmd`, help excluded.
std::set<std::string> registered_names(const CLI::App& cmd) {
  std::set<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const std::string& l : opt->get_lnames())
      if (l != "help") names.insert("--" + l);
    for (const std::string& s : opt->get_snames())
      if (s != "h") names.insert("-" + s);
  }
  return names;
}

// The names the table says `rows` register: names, and --no-<flag> for store_true flags.
std::set<std::string> table_names(const std::vector<const Flag*>& rows) {
  std::set<std::string> names;
  for (const Flag* row : rows) {
    for (const std::string& n : split_names(row->names)) names.insert(n);
    if (is_bool(*row) && !row->store_false) names.insert("--no-" + row->flag().substr(2));
  }
  return names;
}

std::vector<const Flag*> all_rows() {
  std::vector<const Flag*> rows;
  for (const Flag& row : pretrain_config_flags()) rows.push_back(&row);
  return rows;
}

TEST(PretrainFlagTable, DestsAndFlagsAreUnique) {
  std::set<std::string> dests, flags;
  for (const Flag& row : pretrain_config_flags()) {
    EXPECT_TRUE(dests.insert(row.dest).second) << "dest " << row.dest << " twice";
    EXPECT_TRUE(flags.insert(row.flag()).second) << row.flag() << " twice";
    EXPECT_EQ(row.flag().rfind("--", 0), 0u) << row.names;
    if (row.status != FlagStatus::supported) EXPECT_STRNE(row.note, "") << row.names;
    if (row.status == FlagStatus::rejected) EXPECT_TRUE(is_bool(row)) << row.names;
  }
  EXPECT_EQ(PretrainConfig().to_json().size(), pretrain_config_flags().size());
}

TEST(PretrainFlagTable, CliRegistersExactlyTheTable) {
  PretrainConfig cfg;
  CLI::App root{"test"};
  CLI::App* cmd = root.add_subcommand("pretrain");
  app::add_pretrain_flags(*cmd, cfg, [](const std::string&) {});
  EXPECT_EQ(registered_names(*cmd), table_names(all_rows()));
  for (const Flag& row : pretrain_config_flags()) {
    const CLI::Option* opt = cmd->get_option(row.flag());
    EXPECT_EQ(opt->get_group(), row.group) << row.names;
    if (*row.help) EXPECT_EQ(opt->get_description(), row.help) << row.names;
  }

  std::vector<const Flag*> objective_rows;
  for (const Flag& row : pretrain_config_flags())
    if (row.objective) objective_rows.push_back(&row);
  CLI::App objective{"objective"};
  app::add_objective_flags(objective, cfg, [](const std::string&) {});
  EXPECT_EQ(registered_names(objective), table_names(objective_rows));
}

TEST(PretrainFlagTable, ChoicesReachTheParserAndValidate) {
  int rows_with_choices = 0;
  for (const Flag& row : pretrain_config_flags()) {
    if (row.choices.empty()) continue;
    ++rows_with_choices;
    SCOPED_TRACE(row.flag());
    for (const std::string& value : row.choices) {
      PretrainConfig cfg;
      CLI::App root{"test"};
      CLI::App* cmd = root.add_subcommand("pretrain");
      app::add_pretrain_flags(*cmd, cfg, [](const std::string&) {});
      EXPECT_NO_THROW(root.parse(std::vector<std::string>{value, row.flag(), "pretrain"}));
    }
    PretrainConfig cfg;
    CLI::App root{"test"};
    CLI::App* cmd = root.add_subcommand("pretrain");
    app::add_pretrain_flags(*cmd, cfg, [](const std::string&) {});
    EXPECT_THROW(root.parse(std::vector<std::string>{"7", row.flag(), "pretrain"}),
                 CLI::ValidationError);

    PretrainConfig bad;
    bad.data_path = "d";
    std::visit(
        [&](auto member) {
          using T = std::decay_t<decltype(bad.*member)>;
          if constexpr (std::is_same_v<T, std::string>) bad.*member = "7";
          if constexpr (std::is_same_v<T, int>) bad.*member = 7;
        },
        row.field);
    try {
      bad.validate();
      ADD_FAILURE() << "validate() accepted 7";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(row.flag() + ": expected one of {"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_GE(rows_with_choices, 10);
}

// docs/flags.md's pretraining and engine-only tables: flag (and alias) -> status ("supported"
// for the engine-only table, which has no status column). The first row of a flag wins.
std::map<std::string, std::string> documented_flags() {
  std::ifstream in(std::string(CROMSS_SOURCE_DIR) + "/docs/flags.md");
  EXPECT_TRUE(in.good()) << "docs/flags.md";
  std::map<std::string, std::string> status;
  bool in_pretrain_part = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0)
      in_pretrain_part =
          line.rfind("## Pretraining flags", 0) == 0 || line.rfind("## Engine-only flags", 0) == 0;
    if (!in_pretrain_part || line.rfind("| `-", 0) != 0) continue;
    for (size_t p; (p = line.find("\\|")) != std::string::npos;) line.replace(p, 2, "/");
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
    std::string row_status = "supported";
    if (cells.size() >= 7) {
      row_status = cells[5];
      row_status.erase(0, row_status.find_first_not_of(' '));
      row_status.erase(row_status.find_last_not_of(' ') + 1);
    }
    const std::string& names = cells[1];
    for (size_t open = names.find('`'); open != std::string::npos;
         open = names.find('`', names.find('`', open + 1) + 1)) {
      const std::string code = names.substr(open + 1, names.find('`', open + 1) - open - 1);
      const std::string flag = code.substr(0, code.find(' '));
      if (flag.rfind("-", 0) == 0) status.emplace(flag, row_status);
    }
  }
  return status;
}

TEST(PretrainFlagTable, DocsListEveryFlagWithItsStatus) {
  const std::map<std::string, std::string> docs = documented_flags();
  ASSERT_GT(docs.size(), 50u);
  for (const Flag& row : pretrain_config_flags()) {
    for (const std::string& name : split_names(row.names)) {
      SCOPED_TRACE(name);
      const auto it = docs.find(name);
      ASSERT_NE(it, docs.end()) << name << " has no row in docs/flags.md";
      switch (row.status) {
        case FlagStatus::supported:
          EXPECT_TRUE(it->second == "supported" || it->second == "changed") << it->second;
          break;
        case FlagStatus::ignored:
          EXPECT_EQ(it->second, "accepted and ignored");
          break;
        case FlagStatus::rejected:
          EXPECT_EQ(it->second, "rejected");
          break;
      }
    }
  }
  // Upstream flags documented as rejected but absent from the table must not parse.
  PretrainConfig cfg;
  CLI::App root{"test"};
  CLI::App* cmd = root.add_subcommand("pretrain");
  app::add_pretrain_flags(*cmd, cfg, [](const std::string&) {});
  const std::set<std::string> registered = registered_names(*cmd);
  int unregistered = 0;
  for (const auto& [flag, status] : docs) {
    if (status != "rejected" || registered.count(flag)) continue;
    ++unregistered;
    EXPECT_THROW(root.parse(std::vector<std::string>{"x", flag, "pretrain"}), CLI::ParseError)
        << flag;
  }
  EXPECT_GE(unregistered, 5);  // --train_path, --test_path, --label_type, --s1_norm, --s2_norm
}

}  // namespace
}  // namespace cromss
