// `cromss pretrain` flags and configuration: the upstream README CromSS command parses to the
// README values, defaults equal those values (method-spec.md §9.27), store_true/store_false
// semantics
// (--amp inverted), errors name the flag, JSON round trip under upstream's dest names, the
// run-folder names of upstream's set_log_files() (method-spec.md §5 "Output dir"), and the
// process-wide switches (--deterministic, --conv_bn_fusion) that setup_compute sets.
#include "apps/pretrain_flags.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "comm/distributed.h"
#include "core/conv_bn_fusion.h"
#include "core/determinism.h"
#include "core/error.h"
#include "train/pretrain_config.h"
#include "train/training_setup.h"

namespace cromss {
namespace {

// The upstream README CromSS command (method-spec.md §5) with its placeholders filled in, split on
// spaces.
const char* kReadmeCommand =
    "--data_path /data/ssl4eo --save_dir /runs --input_type s12 --fusion_type mid "
    "--model_type resnet50 --n_channels 13 --n_classes 9 --loss_type cd --consist_loss_type ce "
    "--label_smoothing --label_smoothing_factor 0.15 0.05 --label_smoothing_prior_type ts "
    "--sample_selection --sample_selection_rmup_func exp --sample_selection_rmdown_epoch 80 "
    "--sample_selection_prop 0.5 --sample_selection_confidence_type ce --experiment ns_labels "
    "--validation 0.01 --batch_size 128 --num_workers 12 --accelerator gpu --slurm --epochs 200 "
    "--optimizer adam --learning_rate 0.005 --lr_adjust_type rop --lr_adjust 30";

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

struct Parsed {
  PretrainConfig cfg;
  std::vector<std::string> notes;
};

// Parses `cromss pretrain <args>`; CLI11 parse errors propagate.
Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  CLI::App root{"test"};
  CLI::App* cmd = root.add_subcommand("pretrain");
  app::add_pretrain_flags(*cmd, p.cfg, [&p](const std::string& n) { p.notes.push_back(n); });
  std::vector<std::string> argv_s = {"cromss", "pretrain"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& s : argv_s) argv.push_back(s.c_str());
  root.parse(static_cast<int>(argv.size()), argv.data());
  return p;
}

std::string validate_error(const PretrainConfig& cfg) {
  try {
    cfg.validate();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

std::string parse_error(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(PretrainConfig, DefaultsAreTheReadmeCromssValues) {
  const PretrainConfig c;
  EXPECT_EQ(c.input_type, "s12");
  EXPECT_EQ(c.fusion_type, "mid");
  EXPECT_EQ(c.model_type, "resnet50");
  EXPECT_EQ(c.model_framework, "unet");
  EXPECT_EQ(c.n_channels, 13);
  EXPECT_EQ(c.n_classes, 9);
  EXPECT_EQ(c.loss_type, "cd");
  EXPECT_EQ(c.consist_loss_type, "ce");
  EXPECT_EQ(c.consist_loss_weight, 1.0);
  EXPECT_TRUE(c.label_smoothing);
  EXPECT_EQ(c.label_smoothing_factor, (std::vector<double>{0.15, 0.05}));
  EXPECT_EQ(c.label_smoothing_prior_type, "ts");
  EXPECT_TRUE(c.sample_selection);
  EXPECT_EQ(c.sample_selection_rmup_func, "exp");
  EXPECT_EQ(c.sample_selection_rmdown_epoch, 80);
  EXPECT_EQ(c.sample_selection_prop, 0.5);
  EXPECT_EQ(c.sample_selection_confidence_type, "ce");
  EXPECT_EQ(c.experiment, "ns_labels");
  EXPECT_EQ(c.validation, 0.01);
  EXPECT_EQ(c.batch_size, 128);
  EXPECT_EQ(c.test_batch_size, 5);  // not in the README: upstream default
  EXPECT_EQ(c.num_workers, 12);
  EXPECT_EQ(c.accelerator, "gpu");
  EXPECT_TRUE(c.slurm);
  EXPECT_EQ(c.epochs, 200);
  EXPECT_EQ(c.optimizer, "adam");
  EXPECT_EQ(c.learning_rate, 0.005);
  EXPECT_EQ(c.lr_adjust_type, "rop");
  EXPECT_EQ(c.lr_adjust, 30);
  EXPECT_EQ(c.seed, 42);
  EXPECT_EQ(c.monte_carlo_run, 1);
  EXPECT_EQ(c.save_interval, 10);
  EXPECT_EQ(c.display_interval, 10);
  EXPECT_TRUE(c.amp);  // --amp not given: mixed precision on
  EXPECT_FALSE(c.pre_train);
  EXPECT_TRUE(c.resume.empty());
  EXPECT_EQ(c.precision, "auto");
  EXPECT_EQ(c.crop_size, 256);
  EXPECT_EQ(c.accumulate_grad_batches, 1);
  EXPECT_EQ(c.keep_last, 0);
  EXPECT_EQ(c.data_name_clean_label, "dw_labels_clean.lmdb");
  EXPECT_TRUE(c.device.empty());
}

TEST(PretrainConfig, ReadmeCommandParsesToTheDefaults) {
  const Parsed p = parse(split_words(kReadmeCommand));
  PretrainConfig expected;
  expected.data_path = "/data/ssl4eo";
  expected.save_dir = "/runs";
  EXPECT_EQ(p.cfg.to_json(), expected.to_json());
  EXPECT_TRUE(p.notes.empty());
  EXPECT_NO_THROW(p.cfg.validate());
  // method-spec.md §5 "Output dir" and docs/flags.md (checked upstream with set_log_files).
  EXPECT_EQ(unet_type(p.cfg), "PT_m2_unet_resnet50_s12_ns");
  EXPECT_EQ(job_type(p.cfg), "cd_ce_lr_5e3_ls15ts5_ssp50_ce_rme80_sch_rop30_b128");
  EXPECT_EQ(run_tag(p.cfg), "mcr_1_seed_42");
  const nlohmann::json params = params_json(p.cfg);
  EXPECT_EQ(params.at("job_type"), job_type(p.cfg));
  EXPECT_EQ(params.at("checkpoints_dir"), (run_dir(p.cfg) / "checkpoints").string());
  EXPECT_EQ(PretrainConfig::from_json(params).to_json(), p.cfg.to_json());
  EXPECT_EQ(run_dir(p.cfg).string(),
            "/runs/PT_m2_unet_resnet50_s12_ns/cd_ce_lr_5e3_ls15ts5_ssp50_ce_rme80_sch_rop30_b128/"
            "mcr_1_seed_42");
}

TEST(PretrainConfig, ShortAliasesAndLateFusion) {
  const Parsed p = parse({"--data_path", "d", "-v", "0.2", "-n", "3", "-e", "7", "-l", "0.001",
                          "--fusion_type", "late"});
  EXPECT_EQ(p.cfg.validation, 0.2);
  EXPECT_EQ(p.cfg.num_workers, 3);
  EXPECT_EQ(p.cfg.epochs, 7);
  EXPECT_EQ(p.cfg.learning_rate, 0.001);
  EXPECT_EQ(unet_type(p.cfg), "PT_l2_unet_resnet50_s12_ns");
  EXPECT_EQ(job_type(p.cfg), "cd_ce_lr_1e3_ls15ts5_ssp50_ce_rme80_sch_rop30_b128");
}

TEST(PretrainConfig, AmpIsStoreFalse) {
  EXPECT_TRUE(parse({}).cfg.amp);
  EXPECT_FALSE(parse({"--amp"}).cfg.amp);
  EXPECT_FALSE(parse({"--amp", "--amp"}).cfg.amp);
}

TEST(PretrainConfig, StoreTrueFlagsAndTheirNoForms) {
  struct Case {
    const char* flag;
    bool PretrainConfig::*field;
    bool default_value;
  };
  const Case cases[] = {
      {"label_smoothing", &PretrainConfig::label_smoothing, true},
      {"sample_selection", &PretrainConfig::sample_selection, true},
      {"slurm", &PretrainConfig::slurm, true},
      {"norm", &PretrainConfig::norm, false},
      {"use_common_feature", &PretrainConfig::use_common_feature, false},
      {"if_mask", &PretrainConfig::if_mask, false},
      {"pre-train", &PretrainConfig::pre_train, false},
      {"gt_available", &PretrainConfig::gt_available, false},
      {"cal_tr_acc", &PretrainConfig::cal_tr_acc, false},
      {"batch_to_wandb", &PretrainConfig::batch_to_wandb, false},
      {"deterministic", &PretrainConfig::deterministic, false},
      {"global_selection", &PretrainConfig::global_selection, false},
      {"skip_bad_samples", &PretrainConfig::skip_bad_samples, false},
      {"channels_last", &PretrainConfig::channels_last, false},
      {"conv_bn_fusion", &PretrainConfig::conv_bn_fusion, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.flag);
    const std::string on = std::string("--") + c.flag, off = std::string("--no-") + c.flag;
    EXPECT_EQ(parse({}).cfg.*c.field, c.default_value);
    EXPECT_TRUE(parse({on}).cfg.*c.field);
    EXPECT_FALSE(parse({off}).cfg.*c.field);
    EXPECT_FALSE(parse({on, off}).cfg.*c.field);  // the last one wins
    EXPECT_TRUE(parse({off, on}).cfg.*c.field);
  }
}

TEST(PretrainConfig, LabelSmoothingFactorTakesAListAndKeepsTwo) {
  EXPECT_EQ(parse({"--label_smoothing_factor", "0.2"}).cfg.label_smoothing_factor,
            (std::vector<double>{0.2}));
  const Parsed p = parse({"--label_smoothing_factor", "0.1", "0.05", "0.3", "--seed", "3"});
  EXPECT_EQ(p.cfg.label_smoothing_factor, (std::vector<double>{0.1, 0.05}));
  EXPECT_EQ(p.cfg.seed, 3);
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].find("only the first 2"), std::string::npos);
  // nargs '*': an empty list is accepted by the parser and rejected by validate().
  Parsed empty = parse({"--data_path", "d", "--label_smoothing_factor"});
  EXPECT_TRUE(empty.cfg.label_smoothing_factor.empty());
  EXPECT_NE(validate_error(empty.cfg).find("--label_smoothing_factor"), std::string::npos);
}

TEST(PretrainConfig, IgnoredFlagsAreAcceptedWithANote) {
  const std::vector<std::vector<std::string>> given = {
      {"--project_name", "p"},
      {"--entity_name", "e"},
      {"--wandb_mode", "offline"},
      {"--batch_to_wandb"},
      {"--patch_size", "16"},
      {"--image_size", "224"},
      {"--test_season", "-1"},
      {"--cal_tr_acc"},
      {"--model_framework", "fpn"},
      {"--gt_available"},
      {"--label_smoothing_exclude_class", "1", "2"},
      {"--sample_selection_rmup_len", "5"},
      {"--sample_selection_conf_prop", "0.4"},
      {"--sample_selection_unc_prop", "0.4"}};
  for (const auto& args : given) {
    SCOPED_TRACE(args[0]);
    const Parsed p = parse(args);
    ASSERT_EQ(p.notes.size(), 1u);
    EXPECT_EQ(p.notes[0].rfind(args[0], 0), 0u) << p.notes[0];
  }
  const Parsed p = parse({"--patch_size", "16", "--model_framework", "fpn", "--data_path", "d"});
  EXPECT_EQ(p.cfg.patch_size, 16);
  EXPECT_EQ(unet_type(p.cfg), "PT_m2_fpn_resnet50_s12_ns");  // upstream names, U-Net network
  EXPECT_NO_THROW(p.cfg.validate());
  EXPECT_TRUE(parse({"--model_framework", "unet", "--monte_carlo_run", "3"}).notes.empty());
}

TEST(PretrainConfig, ParserRejectsBadChoicesNamingTheFlag) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--input_type", "s3"},
                                             {"--fusion_type", "early"},
                                             {"--consist_loss_type", "l1"},
                                             {"--sample_selection_rmup_func", "cos"},
                                             {"--sample_selection_confidence_type", "x"},
                                             {"--label_smoothing_prior_type", "st"},
                                             {"--accelerator", "tpu"},
                                             {"--optimizer", "adamw"},
                                             {"--lr_adjust_type", "cos"},
                                             {"--precision", "fp8"},
                                             {"--wandb_mode", "x"},
                                             {"--test_season", "4"},
                                             {"--model_framework", "vit"},
                                             {"--batch_size", "big"}}) {
    SCOPED_TRACE(args[0]);
    EXPECT_NE(parse_error(args).find(args[0]), std::string::npos) << parse_error(args);
  }
  EXPECT_FALSE(parse_error({"--no_such_flag"}).empty());
  EXPECT_FALSE(parse_error({"--train_path", "x"}).empty());  // P's unreachable use_gt branch
}

TEST(PretrainConfig, ValidateNamesTheFlag) {
  struct Case {
    const char* expect;  // substring of the message
    void (*mutate)(PretrainConfig&);
  };
  const Case cases[] = {
      {"--data_path", [](PretrainConfig& c) { c.data_path.clear(); }},
      {"smp hub encoder weights", [](PretrainConfig& c) { c.resume = "imagenet"; }},
      {"--resume ssl", [](PretrainConfig& c) { c.resume = "ssl"; }},
      {"--resume swsl", [](PretrainConfig& c) { c.resume = "swsl"; }},
      {"--use_common_feature", [](PretrainConfig& c) { c.use_common_feature = true; }},
      {"--experiment gt_labels", [](PretrainConfig& c) { c.experiment = "gt_labels"; }},
      {"--if_mask", [](PretrainConfig& c) { c.if_mask = true; }},
      {"--n_classes", [](PretrainConfig& c) { c.n_classes = 1; }},
      {"--n_channels", [](PretrainConfig& c) { c.n_channels = 10; }},
      {"--n_channels 2", [](PretrainConfig& c) { c.input_type = "s1"; }},
      {"--loss_type", [](PretrainConfig& c) { c.loss_type = "cdf"; }},
      {"--loss_type", [](PretrainConfig& c) { c.loss_type = "x"; }},
      {"--loss_type", [](PretrainConfig& c) { c.loss_type = ""; }},
      {"--model_type", [](PretrainConfig& c) { c.model_type = "efficientnet-b0"; }},
      {"--lr_adjust", [](PretrainConfig& c) { c.lr_adjust = 0.5; }},         // rop: int(0.5) = 0
      {"--lr_adjust", [](PretrainConfig& c) { c.lr_adjust_type = "exp"; }},  // gamma 30
      {"--validation 0",
       [](PretrainConfig& c) { c.validation = 0; }},  // rop needs v_loss (upstream crashes)
      {"--validation", [](PretrainConfig& c) { c.validation = -1; }},
      {"--batch_size", [](PretrainConfig& c) { c.batch_size = 0; }},
      {"--test_batch_size", [](PretrainConfig& c) { c.test_batch_size = 0; }},
      {"--num_workers", [](PretrainConfig& c) { c.num_workers = -1; }},
      {"--epochs", [](PretrainConfig& c) { c.epochs = 0; }},
      {"--learning_rate", [](PretrainConfig& c) { c.learning_rate = 0; }},
      {"--save_interval", [](PretrainConfig& c) { c.save_interval = 0; }},
      {"--display_interval", [](PretrainConfig& c) { c.display_interval = 0; }},
      {"--label_smoothing_factor",
       [](PretrainConfig& c) {
         c.label_smoothing_factor = {0.9, 0.2};
       }},
      {"--label_smoothing_factor", [](PretrainConfig& c) { c.label_smoothing_factor = {-0.1}; }},
      {"--sample_selection_prop", [](PretrainConfig& c) { c.sample_selection_prop = 1.5; }},
      {"--sample_selection_rmdown_epoch",
       [](PretrainConfig& c) { c.sample_selection_rmdown_epoch = -1; }},
      {"--consist_loss_weight", [](PretrainConfig& c) { c.consist_loss_weight = -1; }},
      {"--precision bf16", [](PretrainConfig& c) { c.amp = false, c.precision = "bf16"; }},
      {"--crop_size", [](PretrainConfig& c) { c.crop_size = 100; }},
      {"--accumulate_grad_batches", [](PretrainConfig& c) { c.accumulate_grad_batches = 0; }},
      {"--keep_last", [](PretrainConfig& c) { c.keep_last = -2; }},
      {"--device", [](PretrainConfig& c) { c.device = "gpu0"; }},
      {"--device", [](PretrainConfig& c) { c.device = "cuda:"; }},
      {"--input_type", [](PretrainConfig& c) { c.input_type = "s3"; }},
      {"--n_classes 5: --label_smoothing", [](PretrainConfig& c) { c.n_classes = 5; }},
  };
  for (const Case& c : cases) {
    PretrainConfig cfg;
    cfg.data_path = "d";
    c.mutate(cfg);
    const std::string msg = validate_error(cfg);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.expect << " -> '" << msg << "'";
  }
}

TEST(PretrainConfig, ValidateAcceptsTheDocumentedEdgeCases) {
  PretrainConfig c;
  c.data_path = "d";
  c.sample_selection_rmup_func = "none";  // f == 1 (upstream crashes, method-spec.md §9.28)
  EXPECT_NO_THROW(c.validate());
  c.resume = "auto";
  c.pre_train = true;
  c.label_smoothing = false;  // the prior has the 9 DW classes
  c.n_classes = 4;
  c.n_channels = 9;
  c.device = "cuda:1";
  c.lr_adjust_type = "exp";
  c.lr_adjust = 0.9;
  c.validation = 0;  // no split is fine without rop
  c.amp = false;
  c.precision = "fp32";
  EXPECT_NO_THROW(c.validate());
  c.input_type = "s1";
  c.n_channels = 2;
  c.label_smoothing_factor.clear();  // single-modal: smoothing does not apply (script 1)
  EXPECT_NO_THROW(c.validate());
}

TEST(PretrainConfig, JsonRoundTripUsesUpstreamDestNames) {
  PretrainConfig c;
  c.data_path = "/d";
  c.fusion_type = "late";
  c.label_smoothing_factor = {0.2};
  c.sample_selection = false;
  c.patch_size = 16;
  c.resume = "auto";
  c.amp = false;
  c.precision = "fp32";
  c.lr_adjust_type = "exp";
  c.lr_adjust = 0.95;
  c.keep_last = 3;
  c.device = "cuda:0";
  c.label_smoothing_exclude_class = {1, 4};
  const nlohmann::json j = c.to_json();
  EXPECT_EQ(j.at("fuse_type"), "late");
  EXPECT_EQ(j.at("lsf"), nlohmann::json({0.2}));
  EXPECT_EQ(j.at("ss"), false);
  EXPECT_EQ(j.at("prt"), false);
  EXPECT_EQ(j.at("schd"), 0.95);
  EXPECT_EQ(j.at("patch_size"), 16);
  EXPECT_TRUE(j.at("im_size").is_null());
  EXPECT_EQ(j.at("bs"), 128);
  EXPECT_EQ(PretrainConfig::from_json(j).to_json(), j);
  EXPECT_EQ(PretrainConfig::from_json(nlohmann::json::parse(j.dump())).to_json(), j);

  // Upstream params.txt conventions: resume False, rop patience as an int.
  const nlohmann::json d = PretrainConfig{}.to_json();
  EXPECT_EQ(d.at("resume"), false);
  EXPECT_TRUE(d.at("schd").is_number_integer());
  EXPECT_EQ(d.at("schd"), 30);
  EXPECT_EQ(PretrainConfig::from_json(d).to_json(), d);
}

TEST(PretrainConfig, FromJsonReadsUpstreamParamsAndNamesBadKeys) {
  // A subset of an upstream params.txt: extra keys (derived values) are ignored, ints where
  // upstream declares floats are read as numbers.
  const nlohmann::json upstream = {{"dn1", "a.lmdb"},
                                   {"cl_weight", 1},
                                   {"schd", 30},
                                   {"resume", false},
                                   {"lsf", {0.15, 0.05}},
                                   {"mcr", 2},
                                   {"unet_type", "PT_m2_unet_resnet50_s12_ns"},
                                   {"nodes", 1},
                                   {"patch_size", nullptr},
                                   {"amp", true}};
  const PretrainConfig c = PretrainConfig::from_json(upstream);
  EXPECT_EQ(c.data_name_s1, "a.lmdb");
  EXPECT_EQ(c.consist_loss_weight, 1.0);
  EXPECT_EQ(c.monte_carlo_run, 2);
  EXPECT_TRUE(c.resume.empty());
  EXPECT_FALSE(c.patch_size.has_value());

  try {
    PretrainConfig::from_json({{"bs", "big"}});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'bs' (--batch_size)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PretrainConfig::from_json({{"epochs", 2.5}}), ValueError);
  EXPECT_THROW(PretrainConfig::from_json(nlohmann::json::array()), ValueError);
}

// Expected strings were computed with CPython + numpy from upstream's formulas
// (ea = int(np.ceil(np.log10(1/lr))), eb = int(lr*10**ea), int(f*100)).
TEST(PretrainConfig, RunNamesFollowUpstreamRules) {
  EXPECT_EQ(lr_tag(0.005), "5e3");
  EXPECT_EQ(lr_tag(0.001), "1e3");
  EXPECT_EQ(lr_tag(0.0005), "5e4");
  EXPECT_EQ(lr_tag(0.0003), "2e4");  // 0.0003 * 1e4 = 2.9999999999999996 in doubles
  EXPECT_EQ(lr_tag(0.00015), "1e4");
  EXPECT_EQ(lr_tag(0.1), "1e1");
  EXPECT_EQ(lr_tag(1.0), "1e0");
  EXPECT_EQ(lr_tag(2.0), "2e0");
  EXPECT_EQ(lr_tag(1e-5), "1e5");

  PretrainConfig c;
  c.label_smoothing_factor = {0.29};  // one factor: no uniform part; int(0.29*100) = 28
  c.label_smoothing_prior_type = "t";
  c.sample_selection_rmup_func = "none";  // no _rm part
  c.sample_selection_prop = 0.57;         // int(0.57*100) = 56
  c.sample_selection_confidence_type = "gini";
  c.lr_adjust_type = "exp";
  c.lr_adjust = 0.9;  // int(0.9*1000) = 900
  c.batch_size = 32;
  c.consist_loss_type = "kl";
  c.monte_carlo_run = 3;
  c.seed = 7;
  EXPECT_EQ(job_type(c), "cd_kl_lr_5e3_ls28t_ssp56_gini_sch_exp900_b32");
  EXPECT_EQ(run_tag(c), "mcr_3_seed_7");

  c.label_smoothing = false;
  c.sample_selection = false;
  c.lr_adjust_type = "none";
  c.sample_selection_rmup_func = "linear";
  EXPECT_EQ(job_type(c), "cd_kl_lr_5e3_b32");

  c.lr_adjust_type = "rop";
  c.lr_adjust = 30.7;  // cast to int
  EXPECT_EQ(job_type(c), "cd_kl_lr_5e3_sch_rop30_b32");

  PretrainConfig single;  // upstream script 1 naming
  single.input_type = "s2";
  EXPECT_EQ(unet_type(single), "PT_unet_resnet50_s2_ns");
  EXPECT_EQ(job_type(single), "cd_lr_5e3_sch_rop30_b128");
}

TEST(PretrainConfig, PrecisionResolution) {
  PretrainConfig c;
  EXPECT_EQ(resolve_precision(c, true, true), Precision::bf16);
  EXPECT_EQ(resolve_precision(c, true, false), Precision::fp16);
  EXPECT_EQ(resolve_precision(c, false, false), Precision::fp32);
  c.amp = false;  // --amp given
  EXPECT_EQ(resolve_precision(c, true, true), Precision::fp32);
  c.precision = "bf16";
  EXPECT_THROW(resolve_precision(c, true, true), ValueError);
  c.amp = true;
  EXPECT_EQ(resolve_precision(c, true, true), Precision::bf16);
  EXPECT_THROW(resolve_precision(c, true, false), ValueError);
  EXPECT_THROW(resolve_precision(c, false, false), ValueError);
  c.precision = "fp16";
  EXPECT_EQ(resolve_precision(c, true, true), Precision::fp16);
  c.precision = "fp32";
  EXPECT_EQ(resolve_precision(c, true, true), Precision::fp32);
  EXPECT_STREQ(precision_name(Precision::bf16), "bf16");
}

// The engine switches reach the compute flags, and setup_compute turns the process-wide ones
// (core/determinism.h, core/conv_bn_fusion.h) on and off again.
TEST(PretrainConfig, ComputeSetupSetsTheProcessWideSwitches) {
  const Parsed p =
      parse({"--accelerator", "cpu", "--deterministic", "--channels_last", "--conv_bn_fusion"});
  const ComputeFlags flags = compute_flags(p.cfg);
  EXPECT_TRUE(flags.deterministic);
  EXPECT_TRUE(flags.channels_last);
  EXPECT_TRUE(flags.conv_bn_fusion);
  EXPECT_EQ(network_memory_format(flags), MemoryFormat::nhwc);
  EXPECT_EQ(p.cfg.to_json()["conv_bn_fusion"], true);
  const Distributed single(ProcessInfo{});
  EXPECT_EQ(setup_compute(flags, single, "test").device.str(), "cpu");
  EXPECT_TRUE(deterministic_algorithms());
  EXPECT_TRUE(conv_bn_fusion());
  setup_compute(compute_flags(parse({"--accelerator", "cpu"}).cfg), single, "test");
  EXPECT_FALSE(deterministic_algorithms());
  EXPECT_FALSE(conv_bn_fusion());
}

TEST(PretrainConfig, DeviceResolution) {
  PretrainConfig c;
  bool fell_back = true;
  EXPECT_EQ(resolve_device(c, 2, &fell_back), "cuda");
  EXPECT_FALSE(fell_back);
  EXPECT_EQ(resolve_device(c, 0, &fell_back), "cpu");
  EXPECT_TRUE(fell_back);
  c.accelerator = "cpu";
  EXPECT_EQ(resolve_device(c, 2, &fell_back), "cpu");
  EXPECT_FALSE(fell_back);
  c.device = "cuda:1";
  EXPECT_EQ(resolve_device(c, 2), "cuda:1");
  // No GPU or no driver: a message saying so and naming the flag (it used to be CUDA's "driver
  // version is insufficient" from the first CUDA call).
  for (const char* device : {"cuda", "cuda:0"}) {
    c.device = device;
    try {
      resolve_device(c, 0);
      ADD_FAILURE() << device << " accepted without a GPU";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("no GPU or no NVIDIA driver"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("--device " + std::string(device)), std::string::npos);
    }
  }
  c.device = "cuda:2";
  EXPECT_THROW(resolve_device(c, 2), ValueError);
  c.device = "cpu";
  EXPECT_EQ(resolve_device(c, 0), "cpu");
}

TEST(PretrainConfig, AbbreviationsExpandLikeArgparse) {
  PretrainConfig cfg;
  CLI::App root{"test"};
  CLI::App* cmd = root.add_subcommand("pretrain");
  app::add_pretrain_flags(*cmd, cfg, [](const std::string&) {});
  const std::vector<std::string> out = app::expand_flag_abbreviations(
      *cmd, {"--learning_r", "0.01", "--fusion=late", "--lr_adjust", "3", "--n_cl", "9",
             "--label_smoothing", "--no-sample_sel", "-e", "5", "--", "--seed_x"});
  EXPECT_EQ(
      out, (std::vector<std::string>{"--learning_rate", "0.01", "--fusion_type=late", "--lr_adjust",
                                     "3", "--n_classes", "9", "--label_smoothing",
                                     "--no-sample_selection", "-e", "5", "--", "--seed_x"}));
  // argparse: "ambiguous option: --n_c could match --n_channels, --n_classes".
  try {
    app::expand_flag_abbreviations(*cmd, {"--n_c", "9"});
    ADD_FAILURE() << "--n_c was not reported as ambiguous";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("ambiguous option: --n_c could match"), std::string::npos) << what;
    EXPECT_NE(what.find("--n_channels"), std::string::npos) << what;
    EXPECT_NE(what.find("--n_classes"), std::string::npos) << what;
  }
  std::vector<std::string> argv_s = {"cromss", "pretrain"};
  for (const auto& a :
       app::expand_flag_abbreviations(*cmd, {"--learning_r", "0.01", "--fusion=late"}))
    argv_s.push_back(a);
  std::vector<const char*> argv;
  for (const auto& s : argv_s) argv.push_back(s.c_str());
  root.parse(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(cfg.learning_rate, 0.01);
  EXPECT_EQ(cfg.fusion_type, "late");
}

}  // namespace
}  // namespace cromss
