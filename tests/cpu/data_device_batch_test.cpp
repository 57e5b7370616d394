// DeviceBatchUploader on the CPU: tensors of the right shapes and dtypes holding the batch bytes,
// optional parts undefined when absent.
#include <gtest/gtest.h>

#include "data/device_batch.h"
#include "tests/batch_fixture.h"

namespace cromss {
namespace {

TEST(DeviceBatch, CpuUploadCopiesEveryPart) {
  data::Batch b = test::make_test_batch(3, 11, 8, true);
  data::DeviceBatchUploader up(Device::cpu());
  const data::DeviceBatch& t = up.upload(b);
  EXPECT_EQ(t.img.shape(), (Shape{3, 11, 8, 8}));
  EXPECT_EQ(t.labels.dtype(), DType::u8);
  EXPECT_EQ(t.prior.shape(), (Shape{3, 9, 8, 8}));
  std::vector<float> img = t.img.to_vector<float>();
  EXPECT_EQ(img, std::vector<float>(b.img_data(), b.img_data() + img.size()));
  std::vector<uint8_t> clean = t.clean_labels.to_vector<uint8_t>();
  EXPECT_EQ(clean, std::vector<uint8_t>(b.clean_label_data(), b.clean_label_data() + clean.size()));
  up.release();
  up.wait_host();
  data::Batch no_prior = test::make_test_batch(2, 15, 8, false);
  no_prior.clean_labels = PinnedBuffer();
  const data::DeviceBatch& u = up.upload(no_prior);
  EXPECT_FALSE(u.prior.defined());
  EXPECT_FALSE(u.clean_labels.defined());
  EXPECT_EQ(u.img.shape(), (Shape{2, 15, 8, 8}));
}

}  // namespace
}  // namespace cromss
