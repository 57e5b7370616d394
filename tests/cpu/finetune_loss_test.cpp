// The fine-tuning loss (train/finetune_loss.h) against torch CrossEntropyLoss + smp 0.3.3
// DiceLoss with and without ignore_index 255 (tests/fixtures/finetune_loss.h5, written by
// tools/make_finetune_loss_fixture.py): CE, Dice and d(CE + Dice)/d logits; the linearised Dice
// backward against finite differences; each letter of --loss_type alone; a clear error for a
// label that is no class.
#include <gtest/gtest.h>

#include "core/error.h"
#include "engine/hdf5_file.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"
#include "train/finetune_loss.h"

namespace cromss {
namespace {

struct LossCase {
  Tensor logits, grad;
  std::vector<uint8_t> labels;
  double ce = 0, dice = 0;
  bool mask = false;
};

LossCase read_case(const std::string& name) {
  H5File f(std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/finetune_loss.h5", H5File::Mode::read);
  LossCase c;
  c.logits = f.read(name + "/logits").to(DType::f64);
  c.grad = f.read(name + "/grad").to(DType::f64);
  c.labels = f.read(name + "/labels").to_vector<uint8_t>();
  c.ce = f.read_scalar(name + "/ce");
  c.dice = f.read_scalar(name + "/dice");
  c.mask = f.read_scalar(name + "/mask") != 0;
  return c;
}

SegmentationTargets targets_of(const LossCase& c) {
  const Shape& s = c.logits.shape();
  return segmentation_targets(c.labels.data(), s[0], s[2], s[3], s[1], c.mask, Device::cpu(),
                              "fixture", {});
}

void expect_near_value(double actual, double reference, const char* what) {
  const test::Tolerance tol = test::tolerance_for(DType::f64);
  EXPECT_NEAR(actual, reference, tol.atol + tol.rtol * std::abs(reference)) << what;
}

class FinetuneLossFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(FinetuneLossFixture, MatchesTorchAndSmp) {
  LossCase c = read_case(GetParam());
  Tensor z = c.logits.clone().set_requires_grad(true);
  FinetuneLoss loss = finetune_loss(z, targets_of(c), "cd");
  expect_near_value(loss.ce, c.ce, "CE");
  expect_near_value(loss.dice, c.dice, "Dice");
  expect_near_value(loss.loss, c.ce + c.dice, "CE + Dice");
  loss.backward_root.backward();
  EXPECT_TRUE(test::all_close(z.grad(), c.grad));
}

INSTANTIATE_TEST_SUITE_P(Cases, FinetuneLossFixture, ::testing::Values("mask", "nomask", "mask_d"));

TEST(FinetuneLoss, EachLetterAlone) {
  LossCase c = read_case("mask");
  const SegmentationTargets t = targets_of(c);
  FinetuneLoss ce = finetune_loss(c.logits, t, "c");
  FinetuneLoss dice = finetune_loss(c.logits, t, "d");
  expect_near_value(ce.loss, c.ce, "c");
  EXPECT_EQ(ce.dice, 0.0);
  expect_near_value(dice.loss, c.dice, "d");
  EXPECT_EQ(dice.ce, 0.0);
  EXPECT_THROW(finetune_loss(c.logits, t, "f"), ValueError);
}

// The linearised Dice's backward equals the derivative of the loss value itself.
TEST(FinetuneLoss, GradientMatchesFiniteDifferences) {
  for (const char* name : {"mask", "mask_d"}) {
    LossCase c = read_case(name);
    const SegmentationTargets t = targets_of(c);
    Tensor z = c.logits.clone().set_requires_grad(true);
    finetune_loss(z, t, "cd").backward_root.backward();
    const std::vector<double> grad = z.grad().to_vector<double>();
    std::vector<double> x = c.logits.to_vector<double>();
    const test::Tolerance tol{test::kFdRtol, test::kFdAtol};
    for (size_t i = 0; i < x.size(); i += 7) {
      const double keep = x[i];
      auto value = [&](double v) {
        x[i] = v;
        return finetune_loss(Tensor::from_vector(x, c.logits.shape()), t, "cd").loss;
      };
      const double numeric =
          (value(keep + test::kFdStep) - value(keep - test::kFdStep)) / (2 * test::kFdStep);
      x[i] = keep;
      EXPECT_NEAR(grad[i], numeric, tol.atol + tol.rtol * std::abs(numeric))
          << name << " logit " << i;
    }
  }
}

TEST(FinetuneLoss, LabelOutsideTheClassesNamesTheSample) {
  const std::vector<uint8_t> labels = {0, 1, 2, 255};
  EXPECT_NO_THROW(segmentation_targets(labels.data(), 1, 2, 2, 3, true, Device::cpu(), "L", {7}));
  try {
    segmentation_targets(labels.data(), 1, 2, 2, 3, false, Device::cpu(), "train.lmdb", {7});
    FAIL() << "label 255 without --if_mask was accepted";
  } catch (const ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("train.lmdb sample 7: label 255 at pixel (1, 1)"), std::string::npos) << m;
    EXPECT_NE(m.find("--if_mask"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace cromss
