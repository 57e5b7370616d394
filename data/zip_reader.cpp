// Strict stored-only ZIP reader (see zip_reader.h). Layout per PKWARE's APPNOTE: the
// end-of-central-directory record sits in the last 64 KiB + 22 bytes; with ZIP64 a locator right
// before it points at the ZIP64 end record, and 0xffffffff fields move into the 0x0001 extra
// field. Every offset and length is bounds-checked against the mapped file before use.
#include "data/zip_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace cromss::data {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr size_t kEndSize = 22;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kMaxMembers = 1 << 20;

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

ZipReader::ZipReader(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) CROMSS_THROW(IoError, "{}: cannot open ({})", path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    CROMSS_THROW(IoError, "{}: cannot stat ({})", path, std::strerror(errno));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) CROMSS_THROW(IoError, "{}: cannot map ({})", path, std::strerror(errno));
    data_ = static_cast<const uint8_t*>(m);
  } else {
    ::close(fd);
  }
  try {
    read_central_directory();
  } catch (...) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    throw;
  }
}

ZipReader::~ZipReader() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

bool ZipReader::looks_like_zip(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t head[4] = {};
  const bool ok = ::read(fd, head, 4) == 4 && le(head, 4) == kLocalSig;
  ::close(fd);
  return ok;
}

void ZipReader::fail(uint64_t offset, const std::string& what) const {
  CROMSS_THROW(IoError, "{}: byte offset {}: {} (not a complete ZIP archive?)", path_, offset,
               what);
}

void ZipReader::read_central_directory() {
  if (size_ < kEndSize) fail(0, fmt::format("{} bytes is too short for a ZIP archive", size_));
  // The end record: the last kEndSig whose comment reaches exactly to the end of the file.
  const size_t lowest = size_ > kEndSize + 0xffff ? size_ - kEndSize - 0xffff : 0;
  size_t end = size_;
  for (size_t at = size_ - kEndSize + 1; at-- > lowest;) {
    if (le(data_ + at, 4) == kEndSig && at + kEndSize + le(data_ + at + 20, 2) == size_) {
      end = at;
      break;
    }
  }
  if (end == size_) fail(size_, "no end-of-central-directory record");
  const uint8_t* e = data_ + end;
  uint64_t count = le(e + 10, 2);
  uint64_t cd_size = le(e + 12, 4);
  uint64_t cd_offset = le(e + 16, 4);
  if (le(e + 4, 2) != 0 || le(e + 6, 2) != 0) fail(end, "multi-disk archives are not supported");
  if (end >= 20 && le(data_ + end - 20, 4) == kEnd64LocatorSig) {
    const uint64_t at64 = le(data_ + end - 20 + 8, 8);
    if (at64 > end - 20 || end - 20 - at64 < 56 || le(data_ + at64, 4) != kEnd64Sig)
      fail(end - 20, "ZIP64 locator does not point at a ZIP64 end record");
    count = le(data_ + at64 + 32, 8);
    cd_size = le(data_ + at64 + 40, 8);
    cd_offset = le(data_ + at64 + 48, 8);
  }
  if (cd_offset > end || cd_size > end - cd_offset)
    fail(end, fmt::format("central directory [{}, +{}) lies outside the file", cd_offset, cd_size));
  if (count > kMaxMembers)
    fail(end, fmt::format("{} members is more than this reader accepts", count));
  members_.reserve(count);
  uint64_t at = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - at < kCentralSize || le(data_ + at, 4) != kCentralSig)
      fail(at, fmt::format("central directory entry {} of {} missing", i, count));
    const uint8_t* c = data_ + at;
    ZipMember m;
    m.flags = static_cast<uint16_t>(le(c + 8, 2));
    m.method = static_cast<uint16_t>(le(c + 10, 2));
    m.crc32 = static_cast<uint32_t>(le(c + 16, 4));
    m.compressed_size = le(c + 20, 4);
    m.size = le(c + 24, 4);
    const uint64_t name_len = le(c + 28, 2), extra_len = le(c + 30, 2), comment_len = le(c + 32, 2);
    m.local_header_offset = le(c + 42, 4);
    if (cd_end - at - kCentralSize < name_len + extra_len + comment_len)
      fail(at, fmt::format("central directory entry {} runs past the directory", i));
    m.name.assign(reinterpret_cast<const char*>(c + kCentralSize), name_len);
    // ZIP64 extra field: the 8-byte values of the fields that read 0xffffffff, in this order.
    const uint8_t* x = c + kCentralSize + name_len;
    for (uint64_t off = 0; off + 4 <= extra_len;) {
      const uint64_t id = le(x + off, 2), len = le(x + off + 2, 2);
      if (off + 4 + len > extra_len) fail(at, fmt::format("member '{}': bad extra field", m.name));
      if (id == 0x0001) {
        uint64_t field = off + 4;
        for (uint64_t* v : {&m.size, &m.compressed_size, &m.local_header_offset}) {
          if (*v != 0xffffffffu) continue;
          if (field + 8 > off + 4 + len)
            fail(at, fmt::format("member '{}': short ZIP64 extra field", m.name));
          *v = le(x + field, 8);
          field += 8;
        }
      }
      off += 4 + len;
    }
    members_.push_back(std::move(m));
    at += kCentralSize + name_len + extra_len + comment_len;
  }
}

const ZipMember* ZipReader::find(std::string_view name) const {
  for (const auto& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

std::string_view ZipReader::read(std::string_view name) const {
  const ZipMember* m = find(name);
  if (!m) CROMSS_THROW(IoError, "{}: no member '{}' in the archive", path_, name);
  return read(*m);
}

std::string_view ZipReader::read(const ZipMember& m) const {
  const uint64_t at = m.local_header_offset;
  if (m.flags & 1) fail(at, fmt::format("member '{}' is encrypted", m.name));
  if (m.method != 0)
    fail(at, fmt::format("member '{}' is compressed (method {}); only stored members are read "
                         "(torch.save writes stored members)",
                         m.name, m.method));
  if (m.compressed_size != m.size)
    fail(at, fmt::format("stored member '{}' has compressed size {} != size {}", m.name,
                         m.compressed_size, m.size));
  if (at > size_ || size_ - at < kLocalSize || le(data_ + at, 4) != kLocalSig)
    fail(at, fmt::format("member '{}': no local header", m.name));
  const uint64_t name_len = le(data_ + at + 26, 2), extra_len = le(data_ + at + 28, 2);
  const uint64_t start = at + kLocalSize + name_len + extra_len;
  if (start > size_ || size_ - start < m.size)
    fail(at, fmt::format("member '{}' ({} bytes) runs past the end of the file", m.name, m.size));
  if (std::string_view(reinterpret_cast<const char*>(data_ + at + kLocalSize), name_len) != m.name)
    fail(at, fmt::format("member '{}': local header names another member", m.name));
  const uint8_t* p = data_ + start;
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < m.size;) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(m.size - done, 1u << 30));
    crc = ::crc32(crc, p + done, chunk);
    done += chunk;
  }
  if (static_cast<uint32_t>(crc) != m.crc32)
    fail(start, fmt::format("member '{}': CRC-32 mismatch (corrupt data)", m.name));
  return {reinterpret_cast<const char*>(p), m.size};
}

}  // namespace cromss::data
