// A minimal, strict reader of ZIP archives whose members are stored uncompressed, which is how
// torch.save writes its files (PyTorch's zip serialization: <name>/data.pkl, <name>/data/<key>,
// <name>/byteorder, <name>/version). The file is memory-mapped; members are views into it.
// Read: the end-of-central-directory record (ZIP64 included), the central directory, and each
// member's local header (whose name must match). A compressed or encrypted member, a member
// outside the file, a bad signature or a CRC-32 mismatch is an IoError naming the file, the
// member and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cromss::data {

struct ZipMember {
  std::string name;
  uint64_t local_header_offset = 0;
  uint64_t size = 0;  // uncompressed = stored size
  uint64_t compressed_size = 0;
  uint32_t crc32 = 0;
  uint16_t method = 0;  // 0 = stored
  uint16_t flags = 0;
};

class ZipReader {
 public:
  explicit ZipReader(const std::string& path);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<ZipMember>& members() const { return members_; }
  const ZipMember* find(std::string_view name) const;  // nullptr when absent
  // The stored bytes of a member (CRC-32 checked on every call).
  std::string_view read(const ZipMember& member) const;
  std::string_view read(std::string_view name) const;  // IoError when absent

  // True when the file starts with a ZIP local-header signature ("PK\3\4").
  static bool looks_like_zip(const std::string& path);

 private:
  [[noreturn]] void fail(uint64_t offset, const std::string& what) const;
  void read_central_directory();

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::vector<ZipMember> members_;
};

}  // namespace cromss::data
