// PNG writing/reading through libpng and the sample panel (see png_panel.h).
#include "train/png_panel.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/error.h"

namespace cromss {

Image::Image(int w, int h, Rgb fill) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3) {
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = fill.r;
    rgb[i + 1] = fill.g;
    rgb[i + 2] = fill.b;
  }
}

void Image::set(int x, int y, Rgb c) {
  uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

Rgb Image::at(int x, int y) const {
  const uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
  return {p[0], p[1], p[2]};
}

namespace {
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

[[noreturn]] void png_error_fn(png_structp png, png_const_charp msg) {
  *static_cast<std::string*>(png_get_error_ptr(png)) = msg;
  png_longjmp(png, 1);
}
void png_warning_fn(png_structp, png_const_charp) {}
}  // namespace

// libpng reports errors by longjmp: no C++ object with a destructor may live between setjmp and
// the libpng calls, so the rows are prepared before and the error is thrown after.
void write_png(const std::string& path, const Image& image) {
  CROMSS_CHECK(image.width > 0 && image.height > 0, "{}: cannot write an empty image", path);
  FilePtr file(std::fopen(path.c_str(), "wb"));
  if (!file) CROMSS_THROW(IoError, "{}: cannot open for writing", path);
  std::vector<png_const_bytep> rows(static_cast<size_t>(image.height));
  for (int y = 0; y < image.height; ++y)
    rows[y] = &image.rgb[static_cast<size_t>(y) * image.width * 3];
  std::string error;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, png_error_fn, png_warning_fn);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr) {
    png_destroy_write_struct(&png, &info);
    CROMSS_THROW(IoError, "{}: libpng initialisation failed", path);
  }
  volatile bool ok = false;  // volatile: survives the longjmp
  if (setjmp(png_jmpbuf(png)) == 0) {
    png_init_io(png, file.get());
    png_set_IHDR(png, info, image.width, image.height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, const_cast<png_bytepp>(rows.data()));
    png_write_end(png, nullptr);
    ok = true;
  }
  png_destroy_write_struct(&png, &info);
  if (!ok) CROMSS_THROW(IoError, "{}: PNG write failed: {}", path, error);
  if (std::fflush(file.get()) != 0) CROMSS_THROW(IoError, "{}: write failed", path);
}

Image read_png(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) CROMSS_THROW(IoError, "{}: cannot open for reading", path);
  std::string error;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, png_error_fn, png_warning_fn);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr) {
    png_destroy_read_struct(&png, &info, nullptr);
    CROMSS_THROW(IoError, "{}: libpng initialisation failed", path);
  }
  Image image;
  std::vector<png_bytep> rows;
  volatile bool ok = false;  // volatile: survives the longjmp
  if (setjmp(png_jmpbuf(png)) == 0) {
    png_init_io(png, file.get());
    png_read_info(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    image.width = static_cast<int>(png_get_image_width(png, info));
    image.height = static_cast<int>(png_get_image_height(png, info));
    image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
    rows.resize(static_cast<size_t>(image.height));
    for (int y = 0; y < image.height; ++y)
      rows[y] = &image.rgb[static_cast<size_t>(y) * image.width * 3];
    png_read_image(png, rows.data());
    png_read_end(png, nullptr);
    ok = true;
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) CROMSS_THROW(IoError, "{}: not a readable PNG: {}", path, error);
  return image;
}

std::vector<uint8_t> percentile_stretch(const std::vector<float>& values, double lo_pct,
                                        double hi_pct) {
  std::vector<float> finite;
  for (float v : values)
    if (std::isfinite(v)) finite.push_back(v);
  std::vector<uint8_t> out(values.size(), 0);
  if (finite.empty()) return out;
  auto quantile = [&](double pct) {
    const size_t k = static_cast<size_t>(
        std::lround(std::clamp(pct, 0.0, 100.0) / 100.0 * static_cast<double>(finite.size() - 1)));
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(k), finite.end());
    return finite[k];
  };
  const float lo = quantile(lo_pct), hi = quantile(hi_pct);
  const float range = hi > lo ? hi - lo : 1.0f;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    const float t = std::clamp((values[i] - lo) / range, 0.0f, 1.0f);
    out[i] = static_cast<uint8_t>(std::lround(t * 255.0f));
  }
  return out;
}

Rgb viridis(double t) {
  static constexpr std::array<Rgb, 5> stops = {
      {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  auto mix = [&](uint8_t a, uint8_t b) {
    return static_cast<uint8_t>(std::lround(a + (b - a) * f));
  };
  return {mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g),
          mix(stops[i].b, stops[i + 1].b)};
}

Rgb dw_color(int64_t label) {
  if (label < 0 || label >= static_cast<int64_t>(kDwPalette.size())) return {0, 0, 0};
  return kDwPalette[static_cast<size_t>(label)];
}

namespace {

constexpr int kGap = 4;

struct Tile {
  int width, height;
  std::vector<Rgb> pixels;
};

std::vector<float> channel(const Tensor& image, int64_t c) {
  return image.select(0, c).to_vector<float>();
}

Tile make_tile(int64_t h, int64_t w) {
  return {static_cast<int>(w), static_cast<int>(h), std::vector<Rgb>(static_cast<size_t>(h * w))};
}

Tile rgb_tile(const std::vector<float>& r, const std::vector<float>& g, const std::vector<float>& b,
              int64_t h, int64_t w) {
  Tile t = make_tile(h, w);
  const auto rs = percentile_stretch(r), gs = percentile_stretch(g), bs = percentile_stretch(b);
  for (size_t i = 0; i < t.pixels.size(); ++i) t.pixels[i] = {rs[i], gs[i], bs[i]};
  return t;
}

Tile label_tile(const Tensor& labels) {
  CROMSS_CHECK(labels.dim() == 2, "panel: label maps must be (H, W), got {}", labels.str());
  Tile t = make_tile(labels.size(0), labels.size(1));
  const auto v = labels.to_vector<int64_t>();
  for (size_t i = 0; i < v.size(); ++i) t.pixels[i] = dw_color(v[i]);
  return t;
}

Tile scalar_tile(const Tensor& map, bool use_viridis) {
  CROMSS_CHECK(map.dim() == 2, "panel: scalar maps must be (H, W), got {}", map.str());
  Tile t = make_tile(map.size(0), map.size(1));
  const auto v = map.to_vector<float>();
  float hi = 0;
  for (float x : v)
    if (std::isfinite(x)) hi = std::max(hi, x);
  for (size_t i = 0; i < v.size(); ++i) {
    if (use_viridis) {
      t.pixels[i] = viridis(v[i]);
    } else {
      const double s = hi > 0 && std::isfinite(v[i]) ? std::clamp(v[i] / hi, 0.0f, 1.0f) : 0.0;
      const auto g = static_cast<uint8_t>(std::lround(s * 255));
      t.pixels[i] = {g, g, g};
    }
  }
  return t;
}

}  // namespace

Image render_panel(const PanelSample& s, S1Style s1_style) {
  std::vector<Tile> tiles;
  if (s.s2.defined()) {
    CROMSS_CHECK(s.s2.dim() == 3 && s.s2.size(0) >= 4,
                 "panel: S2 must be (C >= 4, H, W) to show B4, B3, B2; got {}", s.s2.str());
    tiles.push_back(
        rgb_tile(channel(s.s2, 3), channel(s.s2, 2), channel(s.s2, 1), s.s2.size(1), s.s2.size(2)));
  }
  if (s.s1.defined()) {
    CROMSS_CHECK(s.s1.dim() == 3 && s.s1.size(0) >= 2, "panel: S1 must be (2, H, W), got {}",
                 s.s1.str());
    const auto vv = channel(s.s1, 0), vh = channel(s.s1, 1);
    if (s1_style == S1Style::vv_gray) {
      tiles.push_back(rgb_tile(vv, vv, vv, s.s1.size(1), s.s1.size(2)));
    } else {
      std::vector<float> ratio(vv.size());
      for (size_t i = 0; i < vv.size(); ++i) ratio[i] = vv[i] - vh[i];
      tiles.push_back(rgb_tile(vv, vh, ratio, s.s1.size(1), s.s1.size(2)));
    }
  }
  if (s.noisy_label.defined()) tiles.push_back(label_tile(s.noisy_label));
  for (const Tensor& p : s.predictions) tiles.push_back(label_tile(p));
  if (s.confidence.defined()) tiles.push_back(scalar_tile(s.confidence, true));
  if (s.selection_weight.defined()) tiles.push_back(scalar_tile(s.selection_weight, false));
  CROMSS_CHECK(!tiles.empty(), "panel: nothing to draw (every tensor undefined)");

  int width = kGap, height = 0;
  for (const Tile& t : tiles) {
    width += t.width + kGap;
    height = std::max(height, t.height);
  }
  const int swatch = std::max(8, std::min(24, height / 8));
  const int legend_width = kGap + static_cast<int>(kDwPalette.size()) * (swatch + kGap);
  width = std::max(width, legend_width);
  Image image(width, kGap + height + kGap + swatch + kGap);
  int x0 = kGap;
  for (const Tile& t : tiles) {
    for (int y = 0; y < t.height; ++y)
      for (int x = 0; x < t.width; ++x)
        image.set(x0 + x, kGap + y, t.pixels[static_cast<size_t>(y) * t.width + x]);
    x0 += t.width + kGap;
  }
  const int legend_y = kGap + height + kGap;
  for (size_t c = 0; c < kDwPalette.size(); ++c)
    for (int y = 0; y < swatch; ++y)
      for (int x = 0; x < swatch; ++x)
        image.set(kGap + static_cast<int>(c) * (swatch + kGap) + x, legend_y + y, kDwPalette[c]);
  return image;
}

void write_panel(const std::string& path, const PanelSample& sample, S1Style s1_style) {
  write_png(path, render_panel(sample, s1_style));
}

}  // namespace cromss
