// Reads a PyTorch Lightning checkpoint (.ckpt: a torch.save zip) without Python and without
// executing anything: data/zip_reader.h opens the archive, the torch dialect of the strict pickle
// reader (data/pickle_reader.h) parses <archive>/data.pkl, and every state_dict tensor is copied
// out of its <archive>/data/<key> storage member (byte order from <archive>/byteorder; strided
// views gathered into contiguous tensors). Only the pieces tools/convert_ckpt.py converts are
// returned: the state_dict under its Lightning names (net.encoder1.conv1.weight, ...), epoch,
// global_step and hyper_parameters flattened into one JSON object with the argparse dest names.
// Everything unexpected - a global outside the whitelist (e.g. a REDUCE to os.system), a
// compressed or truncated member, a tensor outside its storage - is an IoError naming the file,
// the member and the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tensor.h"

namespace cromss::data {

struct TorchCheckpoint {
  std::vector<std::pair<std::string, Tensor>> state_dict;  // file order, contiguous CPU tensors
  nlohmann::json config = nlohmann::json::object();        // flattened hyper_parameters
  int64_t epoch = 0;
  int64_t global_step = 0;
};

TorchCheckpoint read_torch_checkpoint(const std::string& path);

}  // namespace cromss::data
