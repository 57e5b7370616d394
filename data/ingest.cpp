// GeoTIFF ingest pipeline (see ingest.h): reader threads tile scenes (data/ingest_tiles.h) into
// per-scene bounded queues; the calling thread writes them in scene order (data/ingest_output.h).
#include "data/ingest.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "data/ingest_output.h"
#include "data/ingest_tiles.h"

namespace cromss::data {
namespace {

constexpr size_t kTilesQueuedPerScene = 4;

struct SceneSlot {
  std::deque<EncodedTile> tiles;
  bool finished = false;
  std::string error;  // non-empty: the scene is refused
  int64_t skipped = 0;
};

struct Aborted {};  // unwinds a reader thread when the writer failed

}  // namespace

std::map<int64_t, int> parse_label_map(const std::string& spec) {
  std::map<int64_t, int> m;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    const auto colon = item.find(':');
    CROMSS_CHECK(colon != std::string::npos,
                 "--label_map item '{}' must look like 'value:class' or 'value:ignore'", item);
    try {
      const int64_t from = std::stoll(item.substr(0, colon));
      const std::string to = item.substr(colon + 1);
      const int cls = to == "ignore" ? -1 : std::stoi(to);
      CROMSS_CHECK(cls >= -1 && cls < 255, "--label_map class {} out of range", cls);
      m[from] = cls;
    } catch (const std::invalid_argument&) {
      CROMSS_THROW(ValueError, "--label_map item '{}' is not 'int:int' or 'int:ignore'", item);
    }
    pos = end + 1;
  }
  return m;
}

IngestReport ingest(const IngestOptions& opt) {
  const TileSettings st{opt.format, opt.tile, opt.stride, parse_label_map(opt.label_map)};
  CROMSS_CHECK(opt.tile >= 0 && opt.stride >= 0, "--tile and --stride must be >= 0");
  IngestOutput out(opt.out_dir, st, opt.name, opt.protocol);
  IngestReport rep;
  rep.written = out.paths();
  rep.first_key = out.next_key();
  rep.class_pixels.assign(st.max_class() + 2, 0);
  std::vector<const IngestScene*> todo;
  std::set<std::string> listed;
  for (const auto& sc : opt.scenes) {
    if (out.done(sc.id()) || !listed.insert(sc.id()).second)
      ++rep.scenes_already_done;
    else
      todo.push_back(&sc);
  }
  const int hw_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::clamp(opt.threads > 0 ? opt.threads : std::min(8, hw_threads), 1,
                                 std::max<int>(1, static_cast<int>(todo.size())));
  // Readers may run ahead of the writer by at most `window` scenes, each queueing at most
  // kTilesQueuedPerScene tiles: memory is bounded whatever the scene sizes.
  const size_t window = 2 * static_cast<size_t>(threads);
  std::vector<SceneSlot> slots(todo.size());
  std::mutex m;
  std::condition_variable cv;
  size_t next_scene = 0, writing = 0;
  bool abort = false;
  auto reader = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] {
          return abort || next_scene >= todo.size() || next_scene < writing + window;
        });
        if (abort || next_scene >= todo.size()) return;
        i = next_scene++;
      }
      SceneSlot& slot = slots[i];
      std::string error;
      int64_t skipped = 0;
      try {
        skipped = tile_scene(*todo[i], st, [&](EncodedTile&& t) {
          std::unique_lock<std::mutex> lk(m);
          cv.wait(lk, [&] { return abort || slot.tiles.size() < kTilesQueuedPerScene; });
          if (abort) throw Aborted{};
          slot.tiles.push_back(std::move(t));
          cv.notify_all();
        });
      } catch (const Aborted&) {
        return;
      } catch (const std::exception& e) {
        error = *e.what() ? e.what() : "unknown error";
      }
      std::lock_guard<std::mutex> lk(m);
      slot.finished = true;
      slot.error = error;
      slot.skipped = skipped;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(reader);
  try {
    for (size_t i = 0; i < todo.size(); ++i) {
      const int64_t scene_start = out.next_key();
      std::vector<uint64_t> pixels(rep.class_pixels.size(), 0);
      for (;;) {
        EncodedTile t;
        {
          std::unique_lock<std::mutex> lk(m);
          cv.wait(lk, [&] { return !slots[i].tiles.empty() || slots[i].finished; });
          if (slots[i].tiles.empty()) break;
          t = std::move(slots[i].tiles.front());
          slots[i].tiles.pop_front();
          cv.notify_all();
        }
        out.put(t);
        for (size_t c = 0; c < pixels.size(); ++c) pixels[c] += t.class_pixels[c];
      }
      if (!slots[i].error.empty()) {
        out.rollback(scene_start);
        rep.refused.push_back({todo[i]->id(), slots[i].error});
      } else {
        out.scene_finished(todo[i]->id());
        ++rep.scenes_ingested;
        rep.tiles_skipped += slots[i].skipped;
        for (size_t c = 0; c < pixels.size(); ++c) rep.class_pixels[c] += pixels[c];
      }
      std::lock_guard<std::mutex> lk(m);
      writing = i + 1;
      cv.notify_all();
    }
    out.save();
  } catch (...) {
    {
      std::lock_guard<std::mutex> lk(m);
      abort = true;
      cv.notify_all();
    }
    for (auto& t : pool) t.join();
    throw;
  }
  for (auto& t : pool) t.join();
  rep.next_key = out.next_key();
  rep.tiles_written = rep.next_key - rep.first_key;
  return rep;
}

}  // namespace cromss::data
