// PNG panel: write, re-read through libpng, check size, palette pixels and the legend strip.
#include <gtest/gtest.h>

#include <filesystem>

#include "train/png_panel.h"

namespace cromss {
namespace {

TEST(TrainPngPanel, RoundTripImage) {
  const std::string path = (std::filesystem::temp_directory_path() / "cromss_png_rt.png").string();
  Image img(5, 3);
  img.set(4, 2, {1, 2, 3});
  write_png(path, img);
  const Image back = read_png(path);
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.rgb, img.rgb);
  EXPECT_THROW(read_png(path + ".missing"), IoError);
}

TEST(TrainPngPanel, PanelLayoutAndColors) {
  const int64_t h = 16, w = 20;
  const uint64_t seed = 5;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  PanelSample s;
  s.s2 = Tensor::uniform({13, h, w}, 0, 1, seed);
  s.s1 = Tensor::uniform({2, h, w}, -25, 0, seed + 1);
  std::vector<int64_t> labels(h * w);
  for (int64_t i = 0; i < h * w; ++i) labels[i] = i % 9;
  labels[0] = 255;
  s.noisy_label = Tensor::from_vector(labels, {h, w});
  s.predictions = {Tensor::full({h, w}, 6, DType::i64), Tensor::full({h, w}, 0, DType::i64)};
  s.confidence = Tensor::uniform({h, w}, 0, 1, seed + 2);
  s.selection_weight = Tensor::uniform({h, w}, 0, 2, seed + 3);
  const std::string path = (std::filesystem::temp_directory_path() / "cromss_panel.png").string();
  write_panel(path, s);
  const Image img = read_png(path);
  const int tiles = 7, gap = 4;
  EXPECT_EQ(img.width, gap + tiles * (w + gap));
  const int swatch = 8;  // max(8, min(24, h / 8))
  EXPECT_EQ(img.height, gap + h + gap + swatch + gap);
  // Tile 3 (noisy label): pixel 0 is the ignore label (black), pixel 1 is class 1.
  const int x_label = gap + 2 * (w + gap);
  EXPECT_EQ(img.at(x_label, gap).r, 0);
  EXPECT_EQ(img.at(x_label + 1, gap).g, kDwPalette[1].g);
  // Tile 4: first branch predicts built everywhere.
  const Rgb built = img.at(gap + 3 * (w + gap) + 5, gap + 5);
  EXPECT_EQ(built.r, 0xC4);
  EXPECT_EQ(built.g, 0x28);
  EXPECT_EQ(built.b, 0x1B);
  // Legend: swatch of class 8 (snow) in the strip below the tiles.
  const Rgb snow = img.at(gap + 8 * (swatch + gap), gap + h + gap);
  EXPECT_EQ(snow.r, 0xB3);
  EXPECT_EQ(snow.b, 0xE1);
}

TEST(TrainPngPanel, StretchAndColormaps) {
  std::vector<float> v(101);
  for (int i = 0; i <= 100; ++i) v[i] = static_cast<float>(i);
  const auto s = percentile_stretch(v, 10, 90);
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[10], 0);
  EXPECT_EQ(s[50], 128);
  EXPECT_EQ(s[90], 255);
  EXPECT_EQ(s[100], 255);
  EXPECT_EQ(viridis(0).r, 68);
  EXPECT_EQ(viridis(1).g, 231);
  EXPECT_EQ(dw_color(0).b, 0xDF);
  EXPECT_EQ(dw_color(9).r, 0);
}

}  // namespace
}  // namespace cromss
