// LR schedules: ReduceLROnPlateau against torch's sequence (tests/fixtures/optim_reference.h5,
// tools/optim_reference.py) in min and max mode, ExponentialLR, none, flags and state.
#include <gtest/gtest.h>

#include "engine/hdf5_file.h"
#include "train/lr_schedule.h"

namespace cromss {
namespace {

const std::string kFixture = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/optim_reference.h5";

TEST(TrainLrSchedule, PlateauMatchesTorch) {
  H5File f(kFixture, H5File::Mode::read);
  for (auto [group, mode] :
       {std::pair{"rop_min", PlateauMode::min}, std::pair{"rop_max", PlateauMode::max}}) {
    const std::string g = group;
    const auto values = f.read(g + "/values").to_vector<double>();
    const auto lrs = f.read(g + "/lrs").to_vector<double>();
    LrScheduleConfig c = lr_schedule_config_for("rop", f.read_scalar(g + "/patience"), mode);
    LrSchedule s(c, f.read_scalar(g + "/lr0"));
    for (size_t i = 0; i < values.size(); ++i)
      EXPECT_DOUBLE_EQ(s.step(values[i]), lrs[i]) << g << " epoch " << i;
  }
}

TEST(TrainLrSchedule, ExponentialAndNone) {
  LrSchedule e(lr_schedule_config_for("exp", 0.5), 0.008);
  EXPECT_DOUBLE_EQ(e.step(123.0), 0.004);
  EXPECT_DOUBLE_EQ(e.step(0.0), 0.002);
  LrSchedule n(lr_schedule_config_for("none", 30), 0.005);
  for (int i = 0; i < 100; ++i) EXPECT_DOUBLE_EQ(n.step(1.0), 0.005);
  EXPECT_THROW(lr_schedule_config_for("cosine", 1), ValueError);
  EXPECT_THROW(lr_schedule_config_for("rop", 2.5), ValueError);
  EXPECT_THROW(lr_schedule_config_for("exp", 0), ValueError);
}

TEST(TrainLrSchedule, UpstreamRopDefaults) {
  const LrScheduleConfig c = lr_schedule_config_for("rop", 30);
  EXPECT_EQ(c.patience, 30);
  EXPECT_DOUBLE_EQ(c.factor, 0.5);
  EXPECT_DOUBLE_EQ(c.threshold, 1e-4);
  EXPECT_EQ(c.cooldown, 0);
  EXPECT_DOUBLE_EQ(c.min_lr, 0.0);
  EXPECT_EQ(c.mode, PlateauMode::min);
}

TEST(TrainLrSchedule, StateRoundTrip) {
  LrSchedule a(lr_schedule_config_for("rop", 1), 0.01);
  for (double v : {1.0, 0.9, 0.95, 0.96}) a.step(v);
  std::map<std::string, Tensor> state;
  a.save(state, "scheduler/");
  LrSchedule b(lr_schedule_config_for("rop", 1), 0.01);
  b.load(state, "scheduler/");
  EXPECT_DOUBLE_EQ(b.lr(), a.lr());
  EXPECT_DOUBLE_EQ(b.best(), a.best());
  EXPECT_EQ(b.num_bad_epochs(), a.num_bad_epochs());
  for (double v : {0.97, 0.98, 0.5, 0.6, 0.7}) EXPECT_DOUBLE_EQ(a.step(v), b.step(v));
  state.erase("scheduler/best");
  EXPECT_THROW(b.load(state, "scheduler/"), ValueError);
}

}  // namespace
}  // namespace cromss
