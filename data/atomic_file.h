// Writes a whole file atomically: the bytes go to "<path>.tmp", which is fsynced and renamed over
// <path>, then the directory is fsynced (the same protocol as engine/hdf5_file.h
// write_atomically, for files that are not HDF5: safetensors and torch .pt exports).
#pragma once

#include <string>
#include <string_view>

namespace cromss::data {

void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace cromss::data
