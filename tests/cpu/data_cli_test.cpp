// `cromss data synth` + `cromss data inspect` as a user runs them (skips when the CLI binary was
// not built): exit 0 and a consistent JSON report for a fresh dataset, exit 1 with a message
// naming the LMDB and key once a record is corrupted.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/lmdb_env.h"
#include "data/pickle_writer.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;

int run(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DataCli, SynthThenInspect) {
  const std::string bin = std::string(CROMSS_BINARY_DIR) + "/cromss";
  if (!fs::exists(bin)) GTEST_SKIP() << bin << " not built";
  const fs::path dir = fs::temp_directory_path() / fmt::format("cromss_cli_{}", ::getpid());
  fs::remove_all(dir);
  std::string out;
  ASSERT_EQ(run(bin + " data synth --out " + dir.string() + " --n 3 --size 32 --seed 4", &out), 0)
      << out;
  out.clear();
  ASSERT_EQ(run(bin + " data inspect --json --data_path " + dir.string(), &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["samples"], 3);
  EXPECT_TRUE(j["consistent"].get<bool>());
  EXPECT_TRUE(j.contains("clean_class_pixels"));
  {
    LmdbWriter w((dir / "dw_labels.lmdb").string(), size_t{1} << 26);
    w.put("1",
          write_array_record(std::string(4 * 32 * 32, '\x0c'), {4, 32, 32}, RecordId::integer(1)));
  }
  out.clear();
  EXPECT_EQ(run(bin + " data inspect --data_path " + dir.string(), &out), 1) << out;
  EXPECT_NE(out.find("dw_labels.lmdb key '1': label value 12"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cromss::data
