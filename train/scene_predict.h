// `cromss predict` (issue 14 item 4): a fine-tuned model applied to whole S1 and/or S2 GeoTIFF
// scenes of any size, written as a georeferenced uint8 class map.
//
// * Inputs: the raster of the model's input type (--s1: 2 bands VV, VH in dB; --s2: the 13 L1C
//   bands in digital numbers), read window by window through GDAL (data/raster_reader.h
//   RasterWindows), so a 10980 x 10980 tile is never in memory whole. Both given: they must lie
//   on one grid (size, CRS, geotransform), else a ValueError naming both files.
// * Encoding: the SSL4EO uint8 code of the training data (data/ssl4eo_stats.h) / 255, for the
//   model's bands (S2: data/sample_pipeline.h s2_band_indices of its channel count).
// * Sliding windows of --window pixels (rounded up to the model's input stride; the scene's size
//   when smaller) at a step of window - overlap, the last one flush with the scene's edge; pixels
//   of a window outside the scene repeat the edge. Overlaps are blended: each window's softmax
//   is weighted per pixel by w(y) w(x), w(i) = min(i + 1, window - i) (a tent, highest in the
//   middle), and each pixel takes the class of the largest weighted sum.
// * Output: a single-band uint8 GeoTIFF with the input's size, CRS and geotransform; 255 (the
//   GeoTIFF's nodata) where the input is nodata (S1: any band NaN or the band's nodata value;
//   S2: every band 0 or its nodata value). Rows are finished and written strip by strip; only
//   one strip of probabilities (classes x window x width) is held.
// * Precision (--precision, train/inference_weights.h): the model computes in bf16/fp16 as a
//   training step does (low-precision weights, BN in fp32); the logits return to fp32 before the
//   softmax and the blending. fp32 by default, as `cromss evaluate`.
// * Optional PNG preview (--preview): the map in the Dynamic World palette (classes beyond 8 in
//   viridis, nodata black), subsampled to at most 1024 pixels on its longer side.
#pragma once

#include <cstdint>
#include <string>

#include "core/device.h"
#include "core/memory_format.h"
#include "train/precision.h"

namespace cromss {

struct PredictOptions {
  std::string ckpt, s1, s2, output, preview;
  int window = 512;
  int overlap = 64;
  Device device = Device::cpu();
  MemoryFormat memory_format = MemoryFormat::nchw;  // --channels_last: nhwc activations
  Precision precision = Precision::fp32;            // resolved --precision
};

struct PredictReport {
  int height = 0, width = 0;
  int64_t windows = 0;
  int64_t nodata_pixels = 0;
  int window = 0;  // after rounding
};

PredictReport predict_scene(const PredictOptions& options);

}  // namespace cromss
