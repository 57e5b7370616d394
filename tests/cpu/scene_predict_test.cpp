// `cromss predict`'s scene prediction (train/scene_predict.h) on GeoTIFFs written here with GDAL
// and on the real Sen1Floods11 chip (tests/fixtures/sen1floods11), with a randomly initialised
// fine-tuned FPN (ResNet-18):
//   * a scene that fits one window: every pixel equals the argmax of the model's logits on the
//     whole SSL4EO-encoded scene (read whole by read_raster), nodata (S2 all zero) 255, and the
//     map on the input's grid;
//   * windows smaller than the scene without overlap tile it exactly: each pixel equals the
//     argmax of the model on its own tile;
//   * overlapping windows on a size no window divides: runs, classes in range, a PNG preview;
//   * S1 NaN pixels are nodata, the rest equals the model on the whole scene;
//   * the real chip: S2 and S1 models, the map on its grid;
//   * clear errors: missing input, band count, S1/S2 grids that differ.
#include <gtest/gtest.h>

#include <gdal.h>

#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "core/error.h"
#include "core/random.cuh"
#include "data/raster_reader.h"
#include "data/sample_pipeline.h"
#include "data/ssl4eo_stats.h"
#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "models/downstream.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/png_panel.h"
#include "train/scene_predict.h"

namespace cromss {
namespace {

namespace fs = std::filesystem;
const std::string kChip =
    std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/sen1floods11/Spain_7370579_";

struct TempDir {
  fs::path path = fs::temp_directory_path() / fmt::format("cromss_predict_{}", ::getpid());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// A GeoTIFF in UTM 33N with 10 m pixels: 13 UInt16 S2 L1C-like bands (DN 1..4000) whose block
// rows [0, 5) x columns [0, 7) is nodata (all bands 0), or 2 Float32 S1 bands (dB) that are NaN
// in VH on rows [60, 64) x columns [0, 10). Seeded smooth structure plus noise.
void write_scene(const std::string& path, int height, int width, uint64_t seed, bool s1 = false) {
  GDALAllRegister();
  const int bands = s1 ? 2 : 13;
  GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), width, height, bands,
                               s1 ? GDT_Float32 : GDT_UInt16, nullptr);
  ASSERT_NE(ds, nullptr);
  double gt[6] = {500000, 10, 0, 5000000, 0, -10};
  GDALSetGeoTransform(ds, gt);
  const char* wkt =
      "PROJCS[\"WGS 84 / UTM zone 33N\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS "
      "84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]],"
      "PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",0],PARAMETER["
      "\"central_meridian\",15],PARAMETER[\"scale_factor\",0.9996],PARAMETER[\"false_easting\","
      "500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1]]";
  GDALSetProjection(ds, wkt);
  std::vector<double> band(size_t(height) * size_t(width));
  for (int b = 0; b < bands; ++b) {
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const size_t p = size_t(y) * size_t(width) + size_t(x);
        const double wave = std::sin(0.2 * x + 0.3 * b) * std::cos(0.15 * y);
        const double noise = uniform_double(seed + uint64_t(b), p);
        if (s1)
          band[p] =
              (b == 1 && y >= 60 && y < 64 && x < 10) ? std::nan("") : -15 + 6 * wave + 2 * noise;
        else
          band[p] =
              (y < 5 && x < 7) ? 0 : std::clamp(1500 + 1000 * wave + 400 * noise, 1.0, 4000.0);
      }
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Write, 0, 0, width, height, band.data(),
                           width, height, GDT_Float64, 0, 0),
              CE_None);
  }
  GDALClose(ds);
}

bool s2_nodata(int y, int x) {
  return y < 5 && x < 7;
}

std::string write_model(const std::string& path, int64_t channels, const std::string& input) {
  DownstreamConfig c;
  c.model_framework = "fpn";
  c.model_type = "resnet18";
  c.n_channels = channels;
  c.n_classes = 9;
  nlohmann::json config = c.to_json();
  config["input_type"] = input;
  save_checkpoint(path, *build_segmentation_model(c, 11), config);
  return path;
}

// The SSL4EO code / 255 of a window of a whole raster (edge pixels repeated beyond it).
Tensor encoded(const data::Raster& r, const std::vector<int>& bands, bool s1, int y0, int x0, int h,
               int w) {
  std::vector<float> v(bands.size() * size_t(h) * size_t(w));
  const size_t hw = size_t(r.height) * size_t(r.width);
  for (size_t k = 0; k < bands.size(); ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const int sy = std::min(y0 + y, r.height - 1), sx = std::min(x0 + x, r.width - 1);
        const double raw =
            r.data[size_t(bands[k]) * hw + size_t(sy) * size_t(r.width) + size_t(sx)];
        const int b = bands[k];
        v[(k * size_t(h) + size_t(y)) * size_t(w) + size_t(x)] =
            float(data::ssl4eo_encode(raw, s1 ? data::kS1Mean[b] : data::kS2Mean[b],
                                      s1 ? data::kS1Std[b] : data::kS2Std[b])) /
            255.f;
      }
  return Tensor::from_vector(v, {1, int64_t(bands.size()), h, w});
}

struct LoadedModel {
  FinetunedModel m;
  explicit LoadedModel(const std::string& ckpt) : m(load_finetuned_model(ckpt)) { m.net->eval(); }
  std::vector<uint8_t> argmax(const Tensor& x) {
    NoGrad no_grad;
    return argmax_classes(m.net->forward(x)).to_vector<uint8_t>();
  }
};

std::vector<uint8_t> model_argmax(const std::string& ckpt, const Tensor& x) {
  return LoadedModel(ckpt).argmax(x);
}

TEST(ScenePredict, OneWindowEqualsTheModelOnTheWholeScene) {
  TempDir dir;
  write_scene(dir / "s2.tif", 64, 64, 3);
  const std::string ckpt = write_model(dir / "m.h5", 13, "s2");
  PredictOptions o;
  o.ckpt = ckpt, o.s2 = dir / "s2.tif", o.output = dir / "map.tif";
  const PredictReport r = predict_scene(o);
  EXPECT_EQ(r.windows, 1);
  EXPECT_EQ(r.nodata_pixels, 5 * 7);
  const data::Raster in = data::read_raster(o.s2, 13, "S2");
  const data::Raster map = data::read_raster(o.output, 1, "map");
  EXPECT_EQ(data::georeference_mismatch(in, map), "");
  ASSERT_TRUE(map.has_nodata[0]);
  EXPECT_EQ(map.nodata[0], 255);
  const std::vector<uint8_t> ref =
      model_argmax(ckpt, encoded(in, data::s2_band_indices(13), false, 0, 0, 64, 64));
  int64_t mismatches = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const size_t p = size_t(y) * 64 + size_t(x);
      const uint8_t want = s2_nodata(y, x) ? 255 : ref[p];
      mismatches += uint8_t(map.data[p]) != want;
    }
  EXPECT_EQ(mismatches, 0);
}

TEST(ScenePredict, WindowsWithoutOverlapTileTheScene) {
  TempDir dir;
  write_scene(dir / "s2.tif", 64, 96, 4);
  const std::string ckpt = write_model(dir / "m.h5", 13, "s2");
  PredictOptions o;
  o.ckpt = ckpt, o.s2 = dir / "s2.tif", o.output = dir / "map.tif";
  o.window = 32, o.overlap = 0;
  EXPECT_EQ(predict_scene(o).windows, 2 * 3);
  const data::Raster in = data::read_raster(o.s2, 13, "S2");
  const data::Raster map = data::read_raster(o.output, 1, "map");
  LoadedModel model(ckpt);
  int64_t mismatches = 0;
  for (int ty = 0; ty < 2; ++ty)
    for (int tx = 0; tx < 3; ++tx) {
      const std::vector<uint8_t> ref =
          model.argmax(encoded(in, data::s2_band_indices(13), false, ty * 32, tx * 32, 32, 32));
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) {
          const int gy = ty * 32 + y, gx = tx * 32 + x;
          const uint8_t want = s2_nodata(gy, gx) ? 255 : ref[size_t(y) * 32 + size_t(x)];
          mismatches += uint8_t(map.data[size_t(gy) * 96 + size_t(gx)]) != want;
        }
    }
  EXPECT_EQ(mismatches, 0);
}

TEST(ScenePredict, OverlappingWindowsOnAnOddSizeWithPreview) {
  TempDir dir;
  write_scene(dir / "s2.tif", 70, 100, 5);
  PredictOptions o;
  o.ckpt = write_model(dir / "m.h5", 9, "s2");
  o.s2 = dir / "s2.tif", o.output = dir / "map.tif", o.preview = dir / "map.png";
  o.window = 32, o.overlap = 8;
  const PredictReport r = predict_scene(o);
  EXPECT_EQ(r.windows, 3 * 4);  // rows 0, 24, 38; columns 0, 24, 48, 68
  const data::Raster map = data::read_raster(o.output, 1, "map");
  ASSERT_EQ(map.height, 70);
  ASSERT_EQ(map.width, 100);
  for (int y = 0; y < 70; ++y)
    for (int x = 0; x < 100; ++x) {
      const double v = map.data[size_t(y) * 100 + size_t(x)];
      if (s2_nodata(y, x))
        EXPECT_EQ(v, 255);
      else
        EXPECT_LT(v, 9) << y << "," << x;
    }
  const Image png = read_png(o.preview);
  EXPECT_EQ(png.width, 100);
  EXPECT_EQ(png.height, 70);
}

TEST(ScenePredict, S1NanPixelsAreNodata) {
  TempDir dir;
  write_scene(dir / "s1.tif", 64, 64, 8, true);
  PredictOptions o;
  o.ckpt = write_model(dir / "m.h5", 2, "s1");
  o.s1 = dir / "s1.tif", o.output = dir / "map.tif";
  EXPECT_EQ(predict_scene(o).nodata_pixels, 4 * 10);
  const data::Raster in = data::read_raster(o.s1, 2, "S1");
  const data::Raster map = data::read_raster(o.output, 1, "map");
  const std::vector<uint8_t> ref = model_argmax(o.ckpt, encoded(in, {0, 1}, true, 0, 0, 64, 64));
  int64_t mismatches = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const size_t p = size_t(y) * 64 + size_t(x);
      const uint8_t want = (y >= 60 && x < 10) ? 255 : ref[p];
      mismatches += uint8_t(map.data[p]) != want;
    }
  EXPECT_EQ(mismatches, 0);
}

// The real chip (no nodata pixels in this window): S2 and S1 models, the map on the chip's grid.
TEST(ScenePredict, Sen1Floods11Chip) {
  if (!fs::exists(kChip + "S2Hand.tif")) GTEST_SKIP() << "sen1floods11 chip not found";
  TempDir dir;
  PredictOptions o;
  o.ckpt = write_model(dir / "s2.h5", 13, "s2");
  o.s1 = kChip + "S1Hand.tif", o.s2 = kChip + "S2Hand.tif", o.output = dir / "s2map.tif";
  o.window = 64, o.overlap = 16;
  EXPECT_EQ(predict_scene(o).windows, 3 * 3);  // starts 0, 48, 64
  const data::Raster s1 = data::read_raster(o.s1, 2, "S1");
  EXPECT_EQ(data::georeference_mismatch(s1, data::read_raster(o.output, 1, "map")), "");
  o.ckpt = write_model(dir / "s1.h5", 2, "s1");
  o.s2.clear(), o.output = dir / "s1map.tif";
  EXPECT_EQ(predict_scene(o).nodata_pixels, 0);
  const data::Raster map = data::read_raster(o.output, 1, "map");
  for (double v : map.data) ASSERT_LT(v, 9);
}

TEST(ScenePredict, ClearErrors) {
  TempDir dir;
  write_scene(dir / "s2.tif", 64, 64, 6);
  PredictOptions o;
  o.ckpt = write_model(dir / "s1.h5", 2, "s1");
  o.s2 = dir / "s2.tif", o.output = dir / "map.tif";
  try {
    predict_scene(o);
    ADD_FAILURE() << "an S1 model ran without --s1";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("give --s1"), std::string::npos) << e.what();
  }
  o.ckpt = write_model(dir / "s2.h5", 13, "s2");
  o.s2 = kChip + "S1Hand.tif";
  try {
    predict_scene(o);
    ADD_FAILURE() << "a 2-band raster passed as --s2";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("2 bands, expected the 13 bands"), std::string::npos)
        << e.what();
  }
  o.s2 = dir / "s2.tif", o.s1 = kChip + "S1Hand.tif";
  try {
    predict_scene(o);
    ADD_FAILURE() << "S1 and S2 on different grids were accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("one pixel grid"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cromss
