// SSL4EO-S12 band statistics and the uint8 encoding used by upstream (method-spec.md §6.2, §6.4):
// u = clip(floor((v - (mean - 2 std)) / (4 std) * 255), 0, 255). Non-finite values encode as 0.
#pragma once

#include <cmath>
#include <cstdint>

namespace cromss::data {

inline constexpr int kS1Bands = 2;
inline constexpr int kS2Bands = 13;
inline constexpr int kSeasons = 4;
inline constexpr int kDwClasses = 9;

inline constexpr double kS1Mean[kS1Bands] = {-12.5485, -20.1924};
inline constexpr double kS1Std[kS1Bands] = {5.2570, 5.9115};
inline constexpr double kS2Mean[kS2Bands] = {1605.575, 1390.782, 1314.873, 1363.524, 1549.444,
                                             2091.749, 2371.717, 2299.905, 2560.295, 830.066,
                                             22.104,   2177.072, 1524.065};
inline constexpr double kS2Std[kS2Bands] = {786.787,  850.348,  875.065,  1138.850, 1122.178,
                                            1161.592, 1274.392, 1248.429, 1345.527, 577.316,
                                            51.154,   1336.099, 1136.538};

inline uint8_t ssl4eo_encode(double v, double mean, double std) {
  if (!std::isfinite(v)) return 0;
  const double lo = mean - 2.0 * std;
  const double u = std::floor((v - lo) / (4.0 * std) * 255.0);
  return static_cast<uint8_t>(u < 0.0 ? 0.0 : (u > 255.0 ? 255.0 : u));
}

// Inverse used by the synthetic generator's downstream formats: the centre of code u's interval.
inline double ssl4eo_decode(uint8_t u, double mean, double std) {
  return (mean - 2.0 * std) + (static_cast<double>(u) + 0.5) * 4.0 * std / 255.0;
}

}  // namespace cromss::data
