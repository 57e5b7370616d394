// Native Lightning .ckpt reading (data/torch_checkpoint.h, data/zip_reader.h, the torch dialect
// of data/pickle_reader.h): a checkpoint written by real torch (tools/make_ckpt_fixture.py,
// tests/fixtures/torch_ckpt) must give exactly the values torch wrote (tiny.json); hostile or
// broken files must be refused with the file, member and byte offset named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/pickle_reader.h"
#include "data/torch_checkpoint.h"
#include "train/checkpoint.h"
#include "train/model_file.h"

namespace cromss::data {
namespace {

const std::string kDir = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/torch_ckpt/";

nlohmann::json expected() {
  std::ifstream f(kDir + "tiny.json");
  return nlohmann::json::parse(f);
}

DType torch_dtype(const std::string& name) {
  if (name == "float32") return DType::f32;
  if (name == "float64") return DType::f64;
  if (name == "float16") return DType::f16;
  if (name == "int64") return DType::i64;
  if (name == "int32") return DType::i32;
  if (name == "bool") return DType::u8;
  ADD_FAILURE() << "unexpected dtype " << name;
  return DType::f32;
}

void expect_matches_torch(const TorchCheckpoint& ckpt) {
  const nlohmann::json want = expected();
  ASSERT_EQ(ckpt.state_dict.size(), want["keys"].size());
  for (size_t i = 0; i < ckpt.state_dict.size(); ++i) {
    const auto& [key, tensor] = ckpt.state_dict[i];
    SCOPED_TRACE(key);
    EXPECT_EQ(key, want["keys"][i].get<std::string>());  // file order kept
    const auto& w = want["tensors"][key];
    EXPECT_EQ(tensor.dtype(), torch_dtype(w["dtype"]));
    EXPECT_EQ(tensor.shape(), w["shape"].get<Shape>());
    EXPECT_TRUE(tensor.is_contiguous());
    // Every value is exactly representable in double, so equality is exact.
    EXPECT_EQ(tensor.to_vector<double>(), w["values"].get<std::vector<double>>());
  }
  EXPECT_EQ(ckpt.epoch, want["epoch"].get<int64_t>());
  EXPECT_EQ(ckpt.global_step, want["global_step"].get<int64_t>());
  EXPECT_EQ(ckpt.config, want["config"]);
}

TEST(TorchCheckpoint, ReadsWhatTorchWrote) {
  expect_matches_torch(read_torch_checkpoint(kDir + "tiny.ckpt"));
}

TEST(TorchCheckpoint, BigEndianStoragesAreSwapped) {
  expect_matches_torch(read_torch_checkpoint(kDir + "bigendian.ckpt"));
}

void expect_io_error(const std::string& path, const std::vector<std::string>& parts) {
  try {
    read_torch_checkpoint(path);
    FAIL() << path << " was accepted";
  } catch (const IoError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << msg << "\n  lacks: " << p;
  }
}

TEST(TorchCheckpoint, RefusesAReduceToOsSystem) {
  // GLOBAL 'posix system' is opcode 68 of malicious/data.pkl (pickletools.dis).
  expect_io_error(kDir + "malicious.ckpt",
                  {kDir + "malicious.ckpt", "member 'malicious/data.pkl'", "byte offset 68",
                   "global 'posix.system' is not allowed"});
}

TEST(TorchCheckpoint, RefusesCompressedMembers) {
  expect_io_error(kDir + "compressed.ckpt", {"member 'tiny/", "compressed (method 8)"});
}

class TorchCheckpointCorrupt : public ::testing::Test {
 protected:
  std::string bytes() {
    std::ifstream f(kDir + "tiny.ckpt", std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  std::string write(const std::string& name, const std::string& content) {
    const auto dir = std::filesystem::path(CROMSS_BINARY_DIR) / "tests" / "torch_ckpt_corrupt";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

TEST_F(TorchCheckpointCorrupt, TruncatedFile) {
  const std::string b = bytes();
  const std::string path = write("truncated.ckpt", b.substr(0, b.size() / 2));
  expect_io_error(path, {path, "no end-of-central-directory record"});
}

TEST_F(TorchCheckpointCorrupt, FlippedDataByteFailsTheCrc) {
  std::string b = bytes();
  const size_t at = b.find("hyper_parameters");  // a string inside the stored pickle
  b[at] = static_cast<char>(b[at] ^ 0x5a);
  const std::string path = write("flipped.ckpt", b);
  expect_io_error(path, {path, "member 'tiny/data.pkl'", "CRC-32 mismatch"});
}

TEST_F(TorchCheckpointCorrupt, NotAZip) {
  const std::string path =
      write("plain.ckpt", "PK\x03\x04 and then forty bytes of anything but a zip");
  expect_io_error(path, {path, "no end-of-central-directory record"});
}

TEST(TorchCheckpoint, OpensAsACheckpointFile) {
  H5File f = open_model_file(kDir + "tiny.ckpt");
  EXPECT_EQ(f.path(), kDir + "tiny.ckpt");
  const nlohmann::json want = expected();
  EXPECT_EQ(read_checkpoint_config(f), want["config"]);
  EXPECT_EQ(f.read_scalar("step"), 1234);
  EXPECT_EQ(f.read_scalar("data/epoch"), 7);
  const Tensor nbt = f.read("model/net.encoder.1.num_batches_tracked");
  EXPECT_EQ(nbt.dtype(), DType::i64);
  EXPECT_EQ(nbt.shape(), Shape{});
  EXPECT_EQ(nbt.item(), want["tensors"]["net.encoder.1.num_batches_tracked"]["values"][0]);
  EXPECT_EQ(f.read("model/net.extra.transposed").to_vector<double>(),
            want["tensors"]["net.extra.transposed"]["values"].get<std::vector<double>>());
  EXPECT_EQ(f.read_attr("model", "key_order").substr(0, 24), "net.encoder.0.weight\nnet");
}

PickleValue parse(const std::string& blob, PickleDialect dialect) {
  return parse_pickle(reinterpret_cast<const uint8_t*>(blob.data()), blob.size(), "test", dialect);
}

TEST(TorchPickleDialect, LmdbDialectStaysStrict) {
  // {} and torch globals are torch-checkpoint-only.
  EXPECT_THROW(parse(std::string("\x80\x02}.", 4), PickleDialect::lmdb_record), IoError);
  EXPECT_NO_THROW(parse(std::string("\x80\x02}.", 4), PickleDialect::torch_checkpoint));
  const std::string od =
      "\x80\x02"
      "ccollections\nOrderedDict\n)R.";
  EXPECT_THROW(parse(od, PickleDialect::lmdb_record), IoError);
  EXPECT_EQ(parse(od, PickleDialect::torch_checkpoint).kind, PickleValue::Kind::Dict);
}

TEST(TorchPickleDialect, ContainersCannotBeModifiedOnceNestedOrContainThemselves) {
  // a = []; b = [a]; then APPEND b to a: a is already inside b.
  const std::string nested = std::string(
      "\x80\x02]q\x00]h\x00"
      "a"
      "a.",
      11);
  try {
    parse(nested, PickleDialect::torch_checkpoint);
    FAIL() << "accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("already inside another container"), std::string::npos)
        << e.what();
  }
  const std::string self = std::string(
      "\x80\x02]q\x00h\x00"
      "a.",
      9);
  try {
    parse(self, PickleDialect::torch_checkpoint);
    FAIL() << "accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot contain itself"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cromss::data
