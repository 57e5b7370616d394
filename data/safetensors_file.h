// The safetensors format (huggingface/safetensors), written and read by hand: an 8-byte
// little-endian header length N, N bytes of JSON header {"<name>": {"dtype": "F32", "shape":
// [...], "data_offsets": [begin, end]}, ..., "__metadata__": {"<key>": "<string>"}} padded with
// spaces to a multiple of 8, then the raw little-endian tensor bytes, in header order, back to
// back. Tensors keep their dtype (F32, F64, F16, BF16, I64, I32, U8). Reading checks every
// offset against the file and the shape against the byte count; problems are IoErrors naming the
// file and the tensor.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cromss::data {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Writes atomically (temporary file, fsync, rename).
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata);

struct SafetensorsFile {
  NamedTensors tensors;  // in data order
  std::map<std::string, std::string> metadata;
};
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace cromss::data
