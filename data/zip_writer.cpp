// Stored-member ZIP writer (see zip_writer.h); record layouts per PKWARE's APPNOTE, mirrored by
// data/zip_reader.cpp.
#include "data/zip_writer.h"

#include <zlib.h>

#include <algorithm>

#include "core/error.h"

namespace cromss::data {

namespace {

constexpr uint64_t kLimit = 0xffffffffu;
constexpr size_t kAlign = 64;

void le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

void ZipWriter::add(const std::string& name, std::string_view data) {
  Entry e{name, 0, data.size(), out_.size()};
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < data.size();) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(data.size() - done, 1u << 30));
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), chunk);
    done += chunk;
  }
  e.crc32 = static_cast<uint32_t>(crc);
  CROMSS_CHECK(e.offset + 30 + name.size() + kAlign + data.size() < kLimit,
               "zip: member '{}' would end past 4 GiB (ZIP64 is not written)", name);
  const size_t header_end = out_.size() + 30 + name.size() + 4;  // + a 4-byte extra field header
  const size_t pad = (kAlign - header_end % kAlign) % kAlign;
  le(out_, 0x04034b50, 4);
  le(out_, 20, 2);  // version needed
  le(out_, 0, 2);   // flags
  le(out_, 0, 2);   // stored
  le(out_, 0, 4);   // time, date
  le(out_, e.crc32, 4);
  le(out_, data.size(), 4);
  le(out_, data.size(), 4);
  le(out_, name.size(), 2);
  le(out_, 4 + pad, 2);
  out_ += name;
  le(out_, 0xcafe, 2);  // a private extra field holding the alignment padding
  le(out_, pad, 2);
  out_.append(pad, 'Z');
  out_.append(data);
  entries_.push_back(std::move(e));
}

std::string ZipWriter::finish() {
  const uint64_t cd_offset = out_.size();
  for (const Entry& e : entries_) {
    le(out_, 0x02014b50, 4);
    le(out_, 20, 2);  // version made by
    le(out_, 20, 2);  // version needed
    le(out_, 0, 2);
    le(out_, 0, 2);
    le(out_, 0, 4);
    le(out_, e.crc32, 4);
    le(out_, e.size, 4);
    le(out_, e.size, 4);
    le(out_, e.name.size(), 2);
    le(out_, 0, 2);  // extra
    le(out_, 0, 2);  // comment
    le(out_, 0, 2);  // disk
    le(out_, 0, 2);  // internal attributes
    le(out_, 0, 4);  // external attributes
    le(out_, e.offset, 4);
    out_ += e.name;
  }
  const uint64_t cd_size = out_.size() - cd_offset;
  CROMSS_CHECK(out_.size() < kLimit && entries_.size() < 0xffff,
               "zip: archive past 4 GiB or 65535 members (ZIP64 is not written)");
  le(out_, 0x06054b50, 4);
  le(out_, 0, 4);  // disk numbers
  le(out_, entries_.size(), 2);
  le(out_, entries_.size(), 2);
  le(out_, cd_size, 4);
  le(out_, cd_offset, 4);
  le(out_, 0, 2);  // comment
  entries_.clear();
  return std::move(out_);
}

}  // namespace cromss::data
