// Writes synthetic datasets in upstream's LMDB formats (see synth.h). Locations are generated and
// pickled in parallel in chunks, then written in key order by one thread; since each location is
// a pure function of (seed, index), the bytes do not depend on the thread count.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "core/error.h"
#include "data/lmdb_env.h"
#include "data/pickle_writer.h"
#include "data/ssl4eo_stats.h"
#include "data/synth.h"

namespace cromss::data {
namespace {

std::string u8_record(const std::vector<uint8_t>& v, const std::vector<int64_t>& shape, int64_t id,
                      int protocol) {
  return write_array_record(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()),
                            shape, RecordId::integer(id), protocol);
}

template <typename T>
std::string typed_record(const std::vector<T>& v, const std::vector<int64_t>& shape,
                         const RecordId& id, int protocol) {
  return write_array_record(
      std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)), shape, id,
      protocol);
}

// Pretraining records of one location: S1, S2, noisy labels, clean labels.
std::vector<std::string> pretrain_records(const SynthOptions& o, int64_t i, uint64_t* wrong) {
  const SynthLocation loc = synth_location(o.seed, i, o.size, o.noise);
  *wrong = 0;
  for (size_t p = 0; p < loc.clean.size(); ++p) *wrong += loc.clean[p] != loc.noisy[p];
  const int64_t h = o.size;
  const size_t hw = static_cast<size_t>(h) * h;
  std::vector<uint8_t> s1(kSeasons * kS1Bands * hw), s2(kSeasons * kS2Bands * hw);
  for (int s = 0; s < kSeasons; ++s) {
    for (int b = 0; b < kS1Bands; ++b)
      for (size_t p = 0; p < hw; ++p) {
        const size_t j = (s * kS1Bands + b) * hw + p;
        s1[j] = ssl4eo_encode(loc.s1_db[j], kS1Mean[b], kS1Std[b]);
      }
    for (int b = 0; b < kS2Bands; ++b)
      for (size_t p = 0; p < hw; ++p) {
        const size_t j = (s * kS2Bands + b) * hw + p;
        s2[j] = ssl4eo_encode(loc.s2_dn[j], kS2Mean[b], kS2Std[b]);
      }
  }
  return {u8_record(s1, {kSeasons, kS1Bands, h, h}, i, o.protocol),
          u8_record(s2, {kSeasons, kS2Bands, h, h}, i, o.protocol),
          u8_record(loc.noisy, {kSeasons, h, h}, i, o.protocol),
          u8_record(loc.clean, {kSeasons, h, h}, i, o.protocol)};
}

// Downstream records of one location (season i % 4) in upstream's raw coding.
std::vector<std::string> downstream_records(const SynthOptions& o, int64_t i) {
  const SynthLocation loc = synth_location(o.seed, i, o.size, o.noise);
  const int s = static_cast<int>(i % kSeasons);
  const int64_t h = o.size;
  const size_t hw = static_cast<size_t>(h) * h;
  const float* s1 = loc.s1_db.data() + s * kS1Bands * hw;
  const float* s2 = loc.s2_dn.data() + s * kS2Bands * hw;
  const uint8_t* clean = loc.clean.data() + s * hw;
  const std::string name = fmt::format("synth_{}.tif", i);
  if (o.downstream == "DFC") {
    std::vector<double> a(s1, s1 + kS1Bands * hw);
    std::vector<uint16_t> b(kS2Bands * hw);
    for (size_t j = 0; j < b.size(); ++j)
      b[j] = static_cast<uint16_t>(std::clamp(s2[j], 0.f, 65535.f));
    std::vector<uint8_t> l(clean, clean + hw);
    for (auto& v : l) v = v == 8 ? 7 : v;  // DFC2020 has no snow class (method-spec.md §6.4)
    return {typed_record(a, {kS1Bands, h, h}, RecordId::none(), o.protocol),
            typed_record(b, {kS2Bands, h, h}, RecordId::none(), o.protocol),
            typed_record(l, {h, h}, RecordId::none(), o.protocol)};
  }
  std::vector<float> a(s1, s1 + kS1Bands * hw);
  std::vector<int16_t> b(kS2Bands * hw);
  for (size_t j = 0; j < b.size(); ++j)
    b[j] = static_cast<int16_t>(std::clamp(s2[j], 0.f, 32767.f));
  // Raw label coding: 0 unlabelled (a 4-pixel tile border), class c stored as c + 1.
  std::vector<uint8_t> l(hw);
  for (size_t p = 0; p < hw; ++p) {
    const int64_t y = p / h, x = p % h;
    const bool border = y < 4 || x < 4 || y >= h - 4 || x >= h - 4;
    l[p] = border ? 0 : static_cast<uint8_t>(clean[p] + 1);
  }
  std::vector<std::string> out = {
      typed_record(a, {kS1Bands, h, h}, RecordId::string("s1_" + name), o.protocol),
      typed_record(b, {kS2Bands, h, h}, RecordId::string("s2_" + name), o.protocol),
      typed_record(l, {h, h}, RecordId::string("dw_" + name), o.protocol)};
  if (o.downstream == "OSM")
    out.push_back(typed_record(l, {h, h}, RecordId::string("osm_" + name), o.protocol));
  return out;
}

// A writer on an empty LMDB: an LMDB of the same name left by an earlier synth is removed first
// (writing into it would keep its records past the new --n, a mixture `data inspect` accepts).
std::unique_ptr<LmdbWriter> fresh_writer(const std::string& path, size_t map_size,
                                         SynthReport* rep) {
  std::error_code ec;
  if (std::filesystem::exists(path)) {
    std::filesystem::remove_all(path, ec);
    if (ec) CROMSS_THROW(IoError, "{}: cannot replace the existing LMDB: {}", path, ec.message());
    rep->replaced.push_back(path);
  }
  return std::make_unique<LmdbWriter>(path, map_size);
}

}  // namespace

SynthReport write_synth_dataset(const SynthOptions& o) {
  CROMSS_CHECK(o.n > 0, "synth: --n must be positive, got {}", o.n);
  CROMSS_CHECK(o.downstream.empty() || o.downstream == "DW" || o.downstream == "OSM" ||
                   o.downstream == "DFC",
               "synth: --downstream must be DW, OSM or DFC, got '{}'", o.downstream);
  namespace fs = std::filesystem;
  fs::create_directories(o.out_dir);
  const size_t hw = static_cast<size_t>(o.size) * o.size;
  const bool pre = o.downstream.empty();
  std::vector<std::unique_ptr<LmdbWriter>> writers;
  std::vector<std::string> keys_prefix;
  SynthReport rep;
  const size_t per_loc_bytes = pre ? hw * kSeasons * 17 : hw * (kS1Bands * 8 + kS2Bands * 2 + 2);
  const size_t map_size = static_cast<size_t>(o.n) * per_loc_bytes * 2 + (size_t{64} << 20);
  if (pre) {
    for (const char* name : {"0k_251k_uint8_s1.lmdb", "0k_251k_uint8_s2c.lmdb", "dw_labels.lmdb",
                             "dw_labels_clean.lmdb"}) {
      rep.written.push_back((fs::path(o.out_dir) / name).string());
      writers.push_back(fresh_writer(rep.written.back(), map_size, &rep));
    }
  } else {
    std::string lower = o.downstream;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    rep.written.push_back((fs::path(o.out_dir) / ("synth_" + lower + "_lmdb")).string());
    writers.push_back(fresh_writer(rep.written.back(), map_size, &rep));
    keys_prefix = o.downstream == "DFC" ? std::vector<std::string>{"s1_", "s2_", "lbl_"}
                                        : std::vector<std::string>{"s1_", "s2_", "dw_", "osm_"};
  }
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const int64_t chunk = std::max<int64_t>(threads * 2, 8);
  for (int64_t start = 0; start < o.n; start += chunk) {
    const int64_t count = std::min(chunk, o.n - start);
    std::vector<std::vector<std::string>> recs(count);
    std::vector<uint64_t> wrong(count, 0);
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (int64_t k = t; k < count; k += threads)
            recs[k] =
                pre ? pretrain_records(o, start + k, &wrong[k]) : downstream_records(o, start + k);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    for (int64_t k = 0; k < count; ++k) {
      const std::string idx = std::to_string(start + k);
      rep.wrong_pixels += wrong[k];
      if (pre) {
        for (int w = 0; w < 4; ++w) writers[w]->put(idx, recs[k][w]);
      } else {
        for (size_t r = 0; r < recs[k].size(); ++r)
          writers[0]->put(keys_prefix[r] + idx, recs[k][r]);
      }
    }
  }
  for (auto& w : writers) w->commit();
  rep.locations = o.n;
  rep.label_pixels = pre ? static_cast<uint64_t>(o.n) * kSeasons * hw : 0;
  return rep;
}

}  // namespace cromss::data
