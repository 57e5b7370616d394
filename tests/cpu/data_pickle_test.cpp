// Pickle subset reader/writer: CPython-written fixture records (protocols 2/4/5, numpy 1.x and
// numpy-2 scalar names), C++ writer round trips through a real LMDB, and named errors for corrupt
// or disallowed records.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/lmdb_env.h"
#include "data/pickle_reader.h"
#include "data/pickle_writer.h"

namespace cromss::data {
namespace {

const std::string kFixture = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/pickle_lmdb";

size_t dtype_size(const std::string& d) {
  if (d == "uint8") return 1;
  if (d == "uint16" || d == "int16") return 2;
  if (d == "float32") return 4;
  return 8;
}

// The fixture pattern (arange(n) * 7 + 3) % 251 cast to the dtype, little-endian.
std::string expected_bytes(const std::string& dtype, int64_t n) {
  std::string out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = (i * 7 + 3) % 251;
    if (dtype == "float64") {
      double d = static_cast<double>(v);
      out.append(reinterpret_cast<const char*>(&d), 8);
    } else if (dtype == "float32") {
      float f = static_cast<float>(v);
      out.append(reinterpret_cast<const char*>(&f), 4);
    } else {
      for (size_t b = 0; b < dtype_size(dtype); ++b)
        out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
    }
  }
  return out;
}

std::string read_value(const LmdbReader& env, const std::string& key) {
  std::string out;
  EXPECT_TRUE(env.with_value(
      key, [&](const uint8_t* p, size_t n) { out.assign(reinterpret_cast<const char*>(p), n); }));
  return out;
}

ArrayRecord parse(const std::string& blob, const std::string& where = "test") {
  return parse_array_record(reinterpret_cast<const uint8_t*>(blob.data()), blob.size(), where);
}

TEST(DataPickle, ReadsCPythonFixtureRecords) {
  LmdbReader env(kFixture + "/records");
  std::ifstream f(kFixture + "/records.json");
  const auto cases = nlohmann::json::parse(f);
  ASSERT_GE(cases.size(), 10u);
  EXPECT_EQ(env.entries(), cases.size());
  for (const auto& c : cases) {
    const std::string key = c["key"];
    SCOPED_TRACE(key);
    const std::string blob = read_value(env, key);
    ArrayRecord r = parse(blob);
    std::vector<int64_t> shape = c["shape"].get<std::vector<int64_t>>();
    EXPECT_EQ(r.shape, shape);
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    EXPECT_EQ(std::string(r.data), expected_bytes(c["dtype"], n));
    if (c["id"].is_null()) {
      EXPECT_EQ(r.id_kind, ArrayRecord::IdKind::None);
    } else if (c["id"].is_string()) {
      EXPECT_EQ(r.id_kind, ArrayRecord::IdKind::Str);
      EXPECT_EQ(r.str_id, c["id"].get<std::string>());
    } else {
      EXPECT_EQ(r.id_kind, ArrayRecord::IdKind::Int);
      EXPECT_EQ(r.int_id, c["id"].get<int64_t>());
    }
  }
}

TEST(DataPickle, WriterRoundTripThroughLmdb) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cromss_pickle_rt_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string raw;
  for (int i = 0; i < 1000; ++i)
    raw.push_back(static_cast<char>((i * 37) & 0xff));  // all byte values
  const std::vector<RecordId> ids = {RecordId::integer(251079), RecordId::integer(-3),
                                     RecordId::integer(int64_t{1} << 40),
                                     RecordId::string("s1_x.tif"), RecordId::none()};
  {
    LmdbWriter w(dir.string(), size_t{1} << 24);
    int k = 0;
    for (int proto : {2, 4})
      for (const auto& id : ids)
        w.put(std::to_string(k++), write_array_record(raw, {10, 4, 25}, id, proto));
    w.put("shape5", write_array_record(raw.substr(0, 32), {1, 2, 2, 2, 4}, RecordId::none(), 4));
    w.put("empty", write_array_record("", {0}, RecordId::integer(1), 2));
  }
  LmdbReader env(dir.string());
  EXPECT_EQ(env.entries(), 12u);
  int k = 0;
  for (int proto : {2, 4}) {
    for (const auto& id : ids) {
      SCOPED_TRACE(k);
      const std::string blob = read_value(env, std::to_string(k++));
      ArrayRecord r = parse(blob);
      EXPECT_EQ(std::string(r.data), raw) << "protocol " << proto;
      EXPECT_EQ(r.shape, (std::vector<int64_t>{10, 4, 25}));
      EXPECT_EQ(static_cast<int>(r.id_kind), static_cast<int>(id.kind));
      EXPECT_EQ(r.int_id, id.int_id);
      EXPECT_EQ(r.str_id, id.str_id);
    }
  }
  const std::string shape5 = read_value(env, "shape5"), empty = read_value(env, "empty");
  EXPECT_EQ(parse(shape5).shape, (std::vector<int64_t>{1, 2, 2, 2, 4}));
  EXPECT_EQ(parse(empty).data.size(), 0u);
  EXPECT_FALSE(env.with_value("missing", [](const uint8_t*, size_t) {}));
  std::filesystem::remove_all(dir);
}

void expect_error(const std::string& blob, const std::string& needle) {
  try {
    parse(blob, "LMDB /x/y.lmdb key '3'");
    ADD_FAILURE() << "no error for " << needle;
  } catch (const IoError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("LMDB /x/y.lmdb key '3'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(DataPickle, CorruptRecordsGiveNamedErrors) {
  const std::string good = write_array_record("abcdef", {2, 3}, RecordId::integer(9), 4);
  expect_error(good.substr(0, good.size() - 1), "no STOP");
  expect_error(good.substr(0, 5), "truncated operand");
  expect_error(good + "x", "trailing bytes");
  expect_error("", "empty value");
  // os.system via GLOBAL (protocol 0/2 style) is rejected, naming the global and offset 2.
  expect_error(std::string("\x80\x02"
                           "cos\nsystem\n",
                           13) +
                   "X\x02\x00\x00\x00ls\x85R.",
               "global 'os.system' is not allowed");
  expect_error(std::string("\x80\x02"
                           "cos\nsystem\n",
                           13),
               "byte offset 2");
  expect_error(std::string("\x80\x04)") + std::string(100, '\x85') + ".", "nested deeper than 32");
  expect_error(std::string("\x80\x02}.", 4), "opcode 0x7d");  // EMPTY_DICT
  expect_error(std::string("\x80\x09K\x01.", 5), "unsupported pickle protocol 9");
  expect_error(std::string("\x80\x04K\x01K\x02.", 7), "STOP with 2 stack entries");
  expect_error(std::string("\x80\x04h\x05.", 5), "memo index 5 was never stored");
  expect_error(std::string("\x80\x04K\x01.", 5), "expected a pickled (bytes, shape[, id]) tuple");
  // numpy float scalar ids are outside the subset.
  std::string f8 = write_array_record("ab", {2}, RecordId::integer(1), 2);
  const auto pos = f8.find("i8\x89");  // the dtype code before NEWFALSE
  ASSERT_NE(pos, std::string::npos);
  f8[pos] = 'f';
  expect_error(f8, "only integer ids");
}

}  // namespace
}  // namespace cromss::data
