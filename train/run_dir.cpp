// RunDir, checkpoint naming/pruning/discovery and the metrics files (see run_dir.h).
#include "train/run_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "engine/hdf5_file.h"

namespace cromss {
namespace fs = std::filesystem;

namespace {
void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) CROMSS_THROW(IoError, "{}: cannot open for writing", tmp);
    f << text;
    if (!f.flush()) CROMSS_THROW(IoError, "{}: write failed", tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) CROMSS_THROW(IoError, "{}: cannot rename to {}: {}", tmp, path, ec.message());
}
}  // namespace

RunDir::RunDir(std::string save_dir) : dir_(std::move(save_dir)) {
  std::error_code ec;
  fs::create_directories(checkpoint_dir(), ec);
  if (ec)
    CROMSS_THROW(IoError, "--save_dir {}: cannot create {}: {}", dir_, checkpoint_dir(),
                 ec.message());
}

std::string RunDir::checkpoint_dir() const {
  return (fs::path(dir_) / "checkpoints").string();
}

std::string RunDir::checkpoint_path(int64_t epoch, int64_t step) const {
  return (fs::path(checkpoint_dir()) / fmt::format("epoch={}-step={}.h5", epoch, step)).string();
}

std::string RunDir::last_checkpoint_path() const {
  return (fs::path(checkpoint_dir()) / "last.h5").string();
}

void RunDir::write_params(const nlohmann::json& args) const {
  write_text_atomically((fs::path(dir_) / "params.txt").string(), args.dump(2) + "\n");
}

std::optional<std::pair<int64_t, int64_t>> parse_checkpoint_name(const std::string& filename) {
  static const std::regex pattern(R"(epoch=(\d+)-step=(\d+)\.h5)");
  std::smatch m;
  if (!std::regex_match(filename, m, pattern)) return std::nullopt;
  return std::make_pair(std::stoll(m[1].str()), std::stoll(m[2].str()));
}

void RunDir::prune_checkpoints(int64_t keep_last) const {
  if (keep_last <= 0) return;
  std::vector<std::pair<int64_t, fs::path>> named;  // (step, path)
  for (const auto& entry : fs::directory_iterator(checkpoint_dir())) {
    auto parsed = parse_checkpoint_name(entry.path().filename().string());
    if (parsed && entry.is_regular_file()) named.emplace_back(parsed->second, entry.path());
  }
  std::sort(named.begin(), named.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = static_cast<size_t>(keep_last); i < named.size(); ++i) {
    std::error_code ec;
    fs::remove(named[i].second, ec);
    if (ec)
      CROMSS_THROW(IoError, "{}: cannot delete old checkpoint: {}", named[i].second.string(),
                   ec.message());
  }
}

ResumeSearch search_resume_checkpoint(const std::string& save_dir) {
  ResumeSearch out;
  const fs::path dir = fs::path(save_dir) / "checkpoints";
  if (!fs::is_directory(dir)) return out;
  struct Candidate {
    int64_t step;
    fs::file_time_type time;
    bool epoch_named;
    std::string path;
  };
  std::vector<Candidate> candidates;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().extension() != ".h5") continue;
    try {
      H5File f(entry.path().string(), H5File::Mode::read);
      const double step = f.read_scalar("step");
      if (!std::isfinite(step)) CROMSS_THROW(IoError, "{}: step is not finite", name);
      candidates.push_back({static_cast<int64_t>(step), entry.last_write_time(),
                            parse_checkpoint_name(name).has_value(), entry.path().string()});
    } catch (const Error& e) {
      out.rejected.push_back(e.what());  // torn, foreign or incomplete file
    }
  }
  auto newer = [](const Candidate& a, const Candidate& b) {
    if (a.step != b.step) return a.step > b.step;
    if (a.time != b.time) return a.time > b.time;
    return a.epoch_named && !b.epoch_named;
  };
  std::sort(candidates.begin(), candidates.end(), newer);
  for (const Candidate& c : candidates) {
    try {  // every dataset must read back: a file damaged past its header is no candidate
      H5File f(c.path, H5File::Mode::read);
      for (const std::string& name : f.datasets("/")) f.read(name);
      out.path = c.path;
      return out;
    } catch (const Error& e) {
      out.rejected.push_back(e.what());
    }
  }
  return out;
}

std::optional<std::string> find_resume_checkpoint(const std::string& save_dir) {
  return search_resume_checkpoint(save_dir).path;
}

MetricsLog::MetricsLog(const std::string& dir)
    : jsonl_path_((fs::path(dir) / "metrics.jsonl").string()),
      csv_path_((fs::path(dir) / "metrics.csv").string()) {
  std::vector<std::string> lines;
  {
    std::ifstream in(jsonl_path_);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  bool trimmed = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    nlohmann::ordered_json row;
    try {
      row = nlohmann::ordered_json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {
      const bool last = std::all_of(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1, lines.end(),
                                    [](const std::string& l) { return l.empty(); });
      if (!last)
        CROMSS_THROW(IoError, "{}:{}: not a JSON object ({})", jsonl_path_, i + 1, e.what());
      std::fprintf(stderr,
                   "cromss: warning: %s:%zu: dropping a torn last line (an interrupted write): "
                   "%s\n",
                   jsonl_path_.c_str(), i + 1, lines[i].c_str());
      trimmed = true;
      break;
    }
    for (const auto& item : row.items())
      if (std::find(columns_.begin(), columns_.end(), item.key()) == columns_.end())
        columns_.push_back(item.key());
    rows_.push_back(std::move(row));
  }
  if (trimmed) rewrite_jsonl();
  if (!rows_.empty()) rewrite_csv();
}

size_t MetricsLog::drop_rows_from_epoch(int64_t epoch) {
  const auto stale = [epoch](const nlohmann::ordered_json& row) {
    const auto it = row.find("epoch");
    return it != row.end() && it->is_number() && it->get<double>() >= static_cast<double>(epoch);
  };
  const size_t before = rows_.size();
  rows_.erase(std::remove_if(rows_.begin(), rows_.end(), stale), rows_.end());
  const size_t dropped = before - rows_.size();
  if (dropped > 0) {
    rewrite_jsonl();
    rewrite_csv();
  }
  return dropped;
}

void MetricsLog::rewrite_jsonl() const {
  std::string text;
  for (const auto& row : rows_) text += row.dump() + "\n";
  write_text_atomically(jsonl_path_, text);
}

namespace {
std::string csv_cell(const nlohmann::ordered_json& row, const std::string& key) {
  auto it = row.find(key);
  if (it == row.end() || it->is_null()) return "";
  if (it->is_number_float()) return fmt::format("{}", it->get<double>());
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}
std::string csv_line(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += cells[i];
  }
  return out + "\n";
}
}  // namespace

void MetricsLog::append_csv_row(const nlohmann::ordered_json& row) const {
  std::vector<std::string> cells;
  for (const auto& key : columns_) cells.push_back(csv_cell(row, key));
  std::ofstream f(csv_path_, std::ios::app);
  if (!(f << csv_line(cells))) CROMSS_THROW(IoError, "{}: append failed", csv_path_);
}

void MetricsLog::rewrite_csv() const {
  std::string text = csv_line(columns_);
  for (const auto& row : rows_) {
    std::vector<std::string> cells;
    for (const auto& key : columns_) cells.push_back(csv_cell(row, key));
    text += csv_line(cells);
  }
  write_text_atomically(csv_path_, text);
}

void MetricsLog::append(const NamedValues& values) {
  nlohmann::ordered_json row = nlohmann::ordered_json::object();
  bool new_column = false;
  for (const auto& [key, value] : values) {
    // JSON has no inf/NaN: they are written as null (an empty CSV cell).
    row[key] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json();
    if (std::find(columns_.begin(), columns_.end(), key) == columns_.end()) {
      columns_.push_back(key);
      new_column = true;
    }
  }
  {
    std::ofstream f(jsonl_path_, std::ios::app);
    if (!(f << row.dump() << "\n" << std::flush))
      CROMSS_THROW(IoError, "{}: append failed", jsonl_path_);
  }
  rows_.push_back(std::move(row));
  if (new_column || rows_.size() == 1)
    rewrite_csv();
  else
    append_csv_row(rows_.back());
}

}  // namespace cromss
