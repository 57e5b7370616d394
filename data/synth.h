// SSL4EO-like synthetic dataset generator (`cromss data synth`, docs/data.md "Synthetic data").
// Per location: a spatially coherent 9-class land-cover map (domain-warped Voronoi regions with
// class shares near the SSL4EO-S12@NoL ones), seasonal class changes, 4 seasons of S1 (VV, VH dB
// with class backscatter and gamma speckle) and S2 (13 L1C bands in DN with class spectra,
// seasonal vegetation change, illumination and pixel noise), encoded to uint8 with the SSL4EO
// statistics; clean labels and noisy labels from a controllable noise model (boundary shift,
// confusion between similar classes, region flips). Every random number is a counter-based draw
// keyed by (seed, location, purpose, index), so output bytes do not depend on thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cromss::data {

struct SynthOptions {
  std::string out_dir;
  int64_t n = 64;
  uint64_t seed = 0;
  int size = 264;
  double noise = 0.3;      // target fraction of wrong noisy-label pixels
  std::string downstream;  // "", "DW", "OSM" or "DFC"
  int threads = 0;         // 0: hardware concurrency
  int protocol = 4;        // pickle protocol of the records (2 or 4)
};

// One synthetic location in physical units plus labels.
struct SynthLocation {
  int size = 0;
  std::vector<uint8_t> clean;  // (4, H, W) 0..8
  std::vector<uint8_t> noisy;  // (4, H, W) 0..8
  std::vector<float> s1_db;    // (4, 2, H, W)
  std::vector<float> s2_dn;    // (4, 13, H, W)
};

// Deterministic function of (seed, index, size, noise).
SynthLocation synth_location(uint64_t seed, int64_t index, int size, double noise);

struct SynthReport {
  int64_t locations = 0;
  uint64_t label_pixels = 0;
  uint64_t wrong_pixels = 0;          // noisy != clean
  std::vector<std::string> written;   // LMDB paths
  std::vector<std::string> replaced;  // those that existed before (removed, then rewritten)
};

// Writes the pretraining LMDBs (upstream names + dw_labels_clean.lmdb), or with `downstream`
// one downstream LMDB in upstream's raw coding. An existing LMDB of the same name is replaced
// (never extended), so an earlier, larger synth leaves no records behind.
SynthReport write_synth_dataset(const SynthOptions& opt);

}  // namespace cromss::data
