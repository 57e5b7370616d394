// Fine-tuning configuration (train/finetune_config.h): the per-dataset defaults of spec §7.2, the
// cosine schedule of the shell scripts (5e-4 -> 1e-5 over 40 epochs, then flat) against its
// formula at hand-picked epochs, the encoder freezing schedule, the engine switches
// (--channels_last, --conv_bn_fusion) in the compute flags and the JSON, and errors naming the
// flag.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "train/finetune_config.h"

namespace cromss {
namespace {

FinetuneConfig with_defaults(const std::string& dataset) {
  FinetuneConfig c;
  c.dataset = dataset;
  c.apply_dataset_defaults();
  return c;
}

TEST(FinetuneConfig, PerDatasetDefaults) {
  FinetuneConfig dfc = with_defaults("DFC"), dw = with_defaults("DW"), osm = with_defaults("OSM");
  EXPECT_EQ(*dfc.model_framework, "pspnet");
  EXPECT_EQ(*dfc.n_classes, 8);
  EXPECT_EQ(*dfc.test_batch_size, 300);
  EXPECT_EQ(*dfc.crop_size, 0);
  EXPECT_FALSE(*dfc.if_mask);
  EXPECT_EQ(*dw.model_framework, "deeplabv3plus");
  EXPECT_EQ(*dw.n_classes, 9);
  EXPECT_EQ(*dw.crop_size, 496);
  EXPECT_TRUE(*dw.if_mask);
  EXPECT_EQ(*osm.model_framework, "fpn");
  EXPECT_EQ(*osm.n_classes, 13);
  EXPECT_EQ(*osm.crop_size, 480);
  EXPECT_EQ(*osm.test_batch_size, 100);
  FinetuneConfig dw_unet;
  dw_unet.dataset = "DW";
  dw_unet.model_framework = "unet";
  dw_unet.apply_dataset_defaults();
  EXPECT_EQ(*dw_unet.crop_size, 480);
  for (const auto* c : {&dfc, &dw, &osm}) {
    EXPECT_NO_THROW(c->validate());
    EXPECT_DOUBLE_EQ(c->learning_rate, 5e-4);
    EXPECT_DOUBLE_EQ(c->weight_decay, 1e-8);
    EXPECT_EQ(c->epochs, 50);
    EXPECT_EQ(c->batch_size, 32);
  }
  EXPECT_EQ(dw.to_json()["task"], "finetune");
}

TEST(FinetuneConfig, CosineScheduleThenFlat) {
  FinetuneConfig c = with_defaults("DW");
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(0), 5e-4);
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(20), 1e-5 + (5e-4 - 1e-5) / 2);  // cos(pi/2) = 0
  EXPECT_NEAR(c.lr_at_epoch(10), 1e-5 + (5e-4 - 1e-5) * (1 + std::sqrt(0.5)) / 2, 1e-18);
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(40), 1e-5);
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(49), 1e-5);
  c.scheduler_values = {10, 1e-6};
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(10), 1e-6);
  c.scheduler_type = "none";
  EXPECT_DOUBLE_EQ(c.lr_at_epoch(30), 5e-4);
}

TEST(FinetuneConfig, EncoderFreezingSchedule) {
  FinetuneConfig c = with_defaults("DFC");
  EXPECT_TRUE(c.encoder_trains(0));
  c.encoder_finetune_tag = "efix";
  EXPECT_FALSE(c.encoder_trains(49));
  c.encoder_finetune_tag = "eft";
  c.encoder_finetune_epoch = 10;
  EXPECT_FALSE(c.encoder_trains(9));
  EXPECT_TRUE(c.encoder_trains(10));
}

void expect_error(const FinetuneConfig& c, const std::string& needle) {
  try {
    c.validate();
    ADD_FAILURE() << "no error mentioning " << needle;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(FinetuneConfig, EngineSwitchesReachTheComputeFlagsAndTheJson) {
  FinetuneConfig c = with_defaults("DW");
  EXPECT_FALSE(c.compute_flags().conv_bn_fusion);  // off by default
  EXPECT_EQ(c.to_json()["conv_bn_fusion"], false);
  c.channels_last = true;
  c.conv_bn_fusion = true;
  const ComputeFlags flags = c.compute_flags();
  EXPECT_TRUE(flags.channels_last);
  EXPECT_TRUE(flags.conv_bn_fusion);
  EXPECT_EQ(c.to_json()["conv_bn_fusion"], true);
}

TEST(FinetuneConfig, ErrorsNameTheFlag) {
  FinetuneConfig c = with_defaults("DW");
  c.n_classes = 8;
  expect_error(c, "--n_classes 8");
  c = with_defaults("DFC");
  c.input_type = "s1";
  expect_error(c, "--n_channels 2");
  c = with_defaults("DFC");
  c.pretrain_tag = "mfs2";
  expect_error(c, "--weight_path");
  c.weight_path = "x.h5";
  EXPECT_NO_THROW(c.validate());
  c.encoder_finetune_tag = "eft";
  expect_error(c, "--encoder_finetune_epoch");
  c = with_defaults("OSM");
  c.freeze_bn = true;
  expect_error(c, "--freeze_bn");
  c = with_defaults("OSM");
  c.scheduler_values = {60};
  expect_error(c, "CosineAnnealingLR");
  c = with_defaults("OSM");
  c.weight_load_tag = "all";
  expect_error(c, "--weight_load_tag 'all'");
  c = with_defaults("OSM");
  c.model_framework = "upernet";
  expect_error(c, "--model_framework 'upernet'");
}

}  // namespace
}  // namespace cromss
