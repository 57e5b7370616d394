// HDF5 tensor files: round trip of every dtype and scalars, attributes, listing, clear errors for
// missing datasets and corrupt/truncated files, and atomic replacement.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/hdf5_file.h"

namespace cromss {
namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "cromss_hdf5_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(H5File, RoundTripsTensorsScalarsAndAttributes) {
  std::string path = temp_path("roundtrip.h5");
  Tensor f = Tensor::uniform({2, 3, 4}, -1, 1, 5);
  Tensor l = Tensor::from_vector<int64_t>({0, 8, -1}, {3});
  Tensor u = Tensor::from_vector<uint8_t>({1, 255}, {2});
  {
    H5File h(path, H5File::Mode::create);
    h.write("model/net.encoder.conv1.weight", f);
    h.write("labels", l);
    h.write("u8", u);
    h.write_scalar("loss", 0.25);
    h.write_scalar_i64("model/net.encoder.bn1.num_batches_tracked", 7);
    h.write_attr("/", "config", "{\"seed\": 42}");
  }
  H5File h(path, H5File::Mode::read);
  EXPECT_EQ(h.read("model/net.encoder.conv1.weight").to_vector<float>(), f.to_vector<float>());
  EXPECT_EQ(h.read("labels").to_vector<int64_t>(), l.to_vector<int64_t>());
  EXPECT_EQ(h.read("u8").dtype(), DType::u8);
  EXPECT_EQ(h.read("loss").shape(), Shape{});
  EXPECT_DOUBLE_EQ(h.read_scalar("loss"), 0.25);
  Tensor nbt = h.read("model/net.encoder.bn1.num_batches_tracked");
  EXPECT_EQ(nbt.dtype(), DType::i64);
  EXPECT_EQ(nbt.item(), 7);
  EXPECT_EQ(h.read_attr("/", "config"), "{\"seed\": 42}");
  EXPECT_EQ(h.datasets("/model"),
            (std::vector<std::string>{"model/net.encoder.bn1.num_batches_tracked",
                                      "model/net.encoder.conv1.weight"}));
  EXPECT_TRUE(h.has("model"));
  EXPECT_FALSE(h.has("model/nothing"));
}

TEST(H5File, ErrorsNameTheFileAndDataset) {
  std::string path = temp_path("errors.h5");
  { H5File h(path, H5File::Mode::create); }
  H5File h(path, H5File::Mode::read);
  try {
    h.read("logits_s1");
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("logits_s1"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  EXPECT_THROW(H5File(temp_path("missing.h5"), H5File::Mode::read), IoError);
}

TEST(H5File, TruncatedFileIsAnErrorNotACrash) {
  std::string path = temp_path("truncated.h5");
  {
    H5File h(path, H5File::Mode::create);
    h.write("x", Tensor::uniform({256, 256}, 0, 1, 1));
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  EXPECT_THROW(
      {
        H5File h(path, H5File::Mode::read);
        h.read("x");
      },
      IoError);
  std::ofstream(temp_path("garbage.h5")) << "not an hdf5 file";
  EXPECT_THROW(H5File(temp_path("garbage.h5"), H5File::Mode::read), IoError);
}

TEST(H5File, AtomicWriteKeepsTheOldFileWhenFillingFails) {
  std::string path = temp_path("atomic.h5");
  write_atomically(path, [](H5File& h) { h.write_scalar("step", 1); });
  EXPECT_THROW(write_atomically(path,
                                [](H5File& h) {
                                  h.write_scalar("step", 2);
                                  CROMSS_THROW(IoError, "simulated failure mid-write");
                                }),
               IoError);
  H5File h(path, H5File::Mode::read);
  EXPECT_DOUBLE_EQ(h.read_scalar("step"), 1);
}

}  // namespace
}  // namespace cromss
