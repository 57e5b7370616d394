// PNG pictures of training samples (issue 6 "Run directory": every --display_interval epochs a
// panel per sample). A panel is one row of tiles, left to right:
//   S2 RGB    bands B4, B3, B2 (channel indices 3, 2, 1 of the 13-band input), each stretched
//             between its 2nd and 98th percentile;
//   S1        VV as gray, or false colour R = VV, G = VH, B = VV - VH (the dB ratio), each
//             stretched the same way;
//   noisy label, then each branch's prediction, in the Dynamic World palette (kDwPalette;
//             the ignore label 255 and other out-of-range values are black);
//   label confidence (viridis-like, [0, 1]) and selection weight (gray, 0 .. its maximum).
// Under the tiles a legend strip shows the nine DW class colours in class order 0..8 (no font
// is needed: the order is the legend). Tiles whose tensor is undefined are left out.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

struct Rgb {
  uint8_t r, g, b;
};

// DW classes (method-spec.md §6.1): water, trees, grass, flooded vegetation, crops, shrub & scrub,
// built, bare, snow & ice.
inline constexpr std::array<Rgb, 9> kDwPalette = {{{0x41, 0x9B, 0xDF},
                                                   {0x39, 0x7D, 0x49},
                                                   {0x88, 0xB0, 0x53},
                                                   {0x7A, 0x87, 0xC6},
                                                   {0xE4, 0x96, 0x35},
                                                   {0xDF, 0xC3, 0x5A},
                                                   {0xC4, 0x28, 0x1B},
                                                   {0xA5, 0x9B, 0x8F},
                                                   {0xB3, 0x9F, 0xE1}}};

// 8-bit RGB image, row-major, 3 bytes per pixel.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Image() = default;
  Image(int w, int h, Rgb fill = {255, 255, 255});
  void set(int x, int y, Rgb c);
  Rgb at(int x, int y) const;
};

void write_png(const std::string& path, const Image& image);  // IoError naming the path
Image read_png(const std::string& path);                      // any PNG, converted to 8-bit RGB

struct PanelSample {
  Tensor s2;                        // (C, H, W) float, C >= 4
  Tensor s1;                        // (2, H, W) float: VV, VH
  Tensor noisy_label;               // (H, W) integer
  std::vector<Tensor> predictions;  // (H, W) integer, one per branch
  Tensor confidence;                // (H, W) float in [0, 1]
  Tensor selection_weight;          // (H, W) float >= 0
};

enum class S1Style { vv_gray, false_color };

Image render_panel(const PanelSample& sample, S1Style s1_style = S1Style::false_color);
void write_panel(const std::string& path, const PanelSample& sample,
                 S1Style s1_style = S1Style::false_color);

// Building blocks (exposed for tests): values -> 8 bits between the lo/hi percentiles (0..100).
std::vector<uint8_t> percentile_stretch(const std::vector<float>& values, double lo_pct = 2,
                                        double hi_pct = 98);
Rgb viridis(double t);  // t in [0, 1], clamped
Rgb dw_color(int64_t label);

}  // namespace cromss
