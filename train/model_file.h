// Opens the weights a command was given: a cromss HDF5 checkpoint as it is, or a PyTorch
// Lightning checkpoint (.ckpt, a torch.save zip, recognised by its ZIP signature) read natively
// by data/torch_checkpoint.h into an in-memory HDF5 file with exactly the layout that
// tools/convert_ckpt.py writes (/model/<state_dict key> in file order, recorded in the /model
// attribute key_order; root attributes format_version, engine_version and config = the flattened
// hyper_parameters; /step = global_step; /data/epoch = epoch). Everything that reads an H5File
// checkpoint (cromss forward, model-state loading) thus takes upstream's published weights
// directly, without Python.
#pragma once

#include <string>

#include "engine/hdf5_file.h"

namespace cromss {

H5File open_model_file(const std::string& path);

}  // namespace cromss
