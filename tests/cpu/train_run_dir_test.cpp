// Run directory: params.txt, checkpoint names, keep-last pruning, `--resume auto` skipping a
// corrupt newest file and .tmp files, and the metrics.jsonl / metrics.csv writers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "engine/hdf5_file.h"
#include "train/run_dir.h"

namespace cromss {
namespace {
namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("cromss_train_run_dir_" + name);
  fs::remove_all(dir);
  return dir.string();
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_checkpoint(const std::string& path, int64_t step) {
  write_atomically(path, [&](H5File& f) { f.write_scalar_i64("step", step); });
}

TEST(TrainRunDir, NamesAndParams) {
  RunDir run(fresh_dir("names"));
  EXPECT_TRUE(fs::is_directory(run.checkpoint_dir()));
  EXPECT_EQ(fs::path(run.checkpoint_path(9, 8020)).filename(), "epoch=9-step=8020.h5");
  EXPECT_EQ(fs::path(run.last_checkpoint_path()).filename(), "last.h5");
  run.write_params({{"batch_size", 128}, {"optimizer", "adam"}});
  const auto params = nlohmann::json::parse(read_text(run.path() + "/params.txt"));
  EXPECT_EQ(params["batch_size"], 128);
  EXPECT_EQ(parse_checkpoint_name("epoch=3-step=40.h5"), std::make_pair(int64_t{3}, int64_t{40}));
  EXPECT_FALSE(parse_checkpoint_name("last.h5").has_value());
  EXPECT_FALSE(parse_checkpoint_name("epoch=3-step=40.h5.tmp").has_value());
}

TEST(TrainRunDir, PruneKeepsNewest) {
  RunDir run(fresh_dir("prune"));
  for (int e = 0; e < 5; ++e) write_checkpoint(run.checkpoint_path(e, (e + 1) * 10), (e + 1) * 10);
  write_checkpoint(run.last_checkpoint_path(), 50);
  run.prune_checkpoints(2);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(run.checkpoint_dir()))
    left.push_back(entry.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left,
            (std::vector<std::string>{"epoch=3-step=40.h5", "epoch=4-step=50.h5", "last.h5"}));
  run.prune_checkpoints(0);  // keep everything
  EXPECT_EQ(std::distance(fs::directory_iterator(run.checkpoint_dir()), fs::directory_iterator{}),
            3);
}

TEST(TrainRunDir, ResumeAutoSkipsCorruptAndTemporary) {
  const std::string dir = fresh_dir("resume");
  EXPECT_FALSE(find_resume_checkpoint(dir).has_value());  // no directory yet
  RunDir run(dir);
  EXPECT_FALSE(find_resume_checkpoint(dir).has_value());
  write_checkpoint(run.checkpoint_path(0, 10), 10);
  write_checkpoint(run.checkpoint_path(1, 20), 20);
  // Newest by name but torn: not HDF5 at all.
  std::ofstream(run.checkpoint_path(2, 30)) << "half a checkpoint";
  // An HDF5 file without the step dataset (e.g. interrupted before it was written).
  write_atomically(run.checkpoint_path(3, 40), [](H5File& f) { f.write_scalar("other", 1); });
  // A leftover temporary file from an interrupted atomic write.
  write_checkpoint(run.checkpoint_path(4, 50) + ".tmp", 50);
  EXPECT_EQ(find_resume_checkpoint(dir), run.checkpoint_path(1, 20));
  write_checkpoint(run.last_checkpoint_path(), 25);
  EXPECT_EQ(find_resume_checkpoint(dir), run.last_checkpoint_path());
}

TEST(TrainRunDir, MetricsJsonlAndCsv) {
  const std::string dir = fresh_dir("metrics");
  RunDir run(dir);
  {
    MetricsLog log(dir);
    log.append({{"epoch", 0}, {"tr_loss", 1.5}});
    log.append({{"epoch", 1}, {"tr_loss", 1.25}});
    log.append({{"epoch", 2}, {"v_loss", 0.5}, {"tr_loss", 1.0}});  // new column: rewrite
  }
  EXPECT_EQ(read_text(dir + "/metrics.csv"), "epoch,tr_loss,v_loss\n0,1.5,\n1,1.25,\n2,1,0.5\n");
  {
    MetricsLog resumed(dir);  // a resumed run keeps the columns and appends
    EXPECT_EQ(resumed.rows(), 3u);
    resumed.append({{"epoch", 3}, {"tr_loss", std::nan("")}, {"v_loss", 0.25}});
  }
  EXPECT_EQ(read_text(dir + "/metrics.csv"),
            "epoch,tr_loss,v_loss\n0,1.5,\n1,1.25,\n2,1,0.5\n3,,0.25\n");
  std::ifstream jsonl(dir + "/metrics.jsonl");
  std::string line;
  int rows = 0;
  while (std::getline(jsonl, line)) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_TRUE(row.contains("epoch"));
    ++rows;
  }
  EXPECT_EQ(rows, 4);
}

// A torn last line (a full disk, a crash in mid-write) is dropped with a warning and the file
// rewritten, instead of "not a JSON object" until the file is edited by hand; a bad line before
// the last stays an error. drop_rows_from_epoch removes what a crash after logging but before
// checkpointing left, so a resumed run logs no epoch twice (issue 11 item 4).
TEST(TrainRunDir, MetricsTornLastLine) {
  const std::string dir = fresh_dir("metrics_torn");
  RunDir run(dir);
  {
    MetricsLog log(dir);
    log.append({{"epoch", 0}, {"tr_loss", 1.5}});
    log.append({{"epoch", 1}, {"tr_loss", 1.25}});
  }
  std::ofstream(dir + "/metrics.jsonl", std::ios::app) << "{\"epoch\": 2, \"tr_lo";
  {
    MetricsLog log(dir);
    EXPECT_EQ(log.rows(), 2u);
    EXPECT_EQ(log.drop_rows_from_epoch(1), 1u);
    EXPECT_EQ(log.drop_rows_from_epoch(1), 0u);
    log.append({{"epoch", 1}, {"tr_loss", 1.0}});
  }
  EXPECT_EQ(read_text(dir + "/metrics.jsonl"),
            "{\"epoch\":0.0,\"tr_loss\":1.5}\n{\"epoch\":1.0,\"tr_loss\":1.0}\n");
  EXPECT_EQ(read_text(dir + "/metrics.csv"), "epoch,tr_loss\n0,1.5\n1,1\n");
  std::ofstream(dir + "/metrics.jsonl") << "{\"epoch\": 0}\nnot json\n{\"epoch\": 1}\n";
  try {
    MetricsLog log(dir);
    ADD_FAILURE() << "a bad line before the last was accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("metrics.jsonl:2: not a JSON object"), std::string::npos)
        << e.what();
  }
}

// --resume auto: a file that opens and names its step but is damaged further in is no
// candidate (falls back to the next), and each rejected file is reported (issue 11 item 6).
TEST(TrainRunDir, ResumeAutoReportsDamagedFiles) {
  const std::string dir = fresh_dir("resume_report");
  RunDir run(dir);
  write_atomically(run.checkpoint_path(0, 10), [](H5File& f) {
    f.write_scalar_i64("step", 10);
    f.write("model/w", Tensor::full({4096}, 1.0));
  });
  write_atomically(run.last_checkpoint_path(), [](H5File& f) {
    f.write_scalar_i64("step", 20);
    f.write("model/w", Tensor::full({4096}, 1.0));
  });
  fs::resize_file(run.last_checkpoint_path(), fs::file_size(run.last_checkpoint_path()) - 8192);
  ResumeSearch found = search_resume_checkpoint(dir);
  EXPECT_EQ(found.path, run.checkpoint_path(0, 10));
  ASSERT_EQ(found.rejected.size(), 1u);
  EXPECT_NE(found.rejected[0].find("last.h5"), std::string::npos) << found.rejected[0];
  fs::remove(run.checkpoint_path(0, 10));
  found = search_resume_checkpoint(dir);
  EXPECT_FALSE(found.path.has_value());
  EXPECT_EQ(found.rejected.size(), 1u);
}

}  // namespace
}  // namespace cromss
