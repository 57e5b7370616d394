// DeviceBatchUploader on CUDA: uploads on the side copy stream, alternating slots, land the same
// bytes the CPU path gives, with guard bytes around every buffer.
#include <gtest/gtest.h>

#include "data/device_batch.h"
#include "tests/batch_fixture.h"
#include "tests/gpu_test.h"

namespace cromss {
namespace {

TEST(DeviceBatchGpu, SideStreamUploadMatchesHost) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  test::GuardBytesScope guard;
  data::DeviceBatchUploader up(Device::cuda());
  for (int round = 0; round < 3; ++round) {  // exercises both slots and their reuse
    data::Batch b = test::make_test_batch(2 + round, 11, 16, true);
    const data::DeviceBatch& t = up.upload(b);
    EXPECT_EQ(t.img.to_vector<float>(),
              std::vector<float>(b.img_data(), b.img_data() + t.img.numel()));
    EXPECT_EQ(t.prior.to_vector<float>(),
              std::vector<float>(b.prior_data(), b.prior_data() + t.prior.numel()));
    EXPECT_EQ(t.labels.to_vector<uint8_t>(),
              std::vector<uint8_t>(b.label_data(), b.label_data() + t.labels.numel()));
    up.release();
    up.wait_host();
  }
}

}  // namespace
}  // namespace cromss
