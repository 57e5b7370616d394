// Writes torch .pt files without torch: the zip layout of torch.save (archive/data.pkl,
// archive/data/<i>, archive/version, archive/byteorder; data/zip_writer.h) holding
// {'state_dict': OrderedDict(name -> tensor), 'metadata': {str: str}} pickled in protocol 2 with
// only what `torch.load(path, weights_only=True)` accepts: dicts, strings, ints, bools,
// collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.<Type>Storage persistent
// ids. data/torch_checkpoint.h reads the result back (its 'state_dict' entry).
#pragma once

#include <map>
#include <string>

#include "data/safetensors_file.h"

namespace cromss::data {

std::string torch_save_bytes(const NamedTensors& state,
                             const std::map<std::string, std::string>& metadata);
// Writes atomically.
void write_torch_save(const std::string& path, const NamedTensors& state,
                      const std::map<std::string, std::string>& metadata);

}  // namespace cromss::data
