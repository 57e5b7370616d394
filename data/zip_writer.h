// Builds a ZIP archive of stored (uncompressed) members in memory, the way torch.save lays out
// its files: each member's data starts on a 64-byte boundary (padding in the local header's
// extra field), CRC-32 from zlib. No ZIP64: archives above 4 GiB are refused with a ValueError.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cromss::data {

class ZipWriter {
 public:
  void add(const std::string& name, std::string_view data);
  // The finished archive (central directory and end record appended).
  std::string finish();

 private:
  struct Entry {
    std::string name;
    uint32_t crc32 = 0;
    uint64_t size = 0, offset = 0;
  };
  std::string out_;
  std::vector<Entry> entries_;
};

}  // namespace cromss::data
