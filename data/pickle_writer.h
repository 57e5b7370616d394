// Writes upstream's LMDB record format, pickle((raw bytes, shape[, id])), in protocol 2 or 4 the
// way CPython does (method-spec.md §6.2, §6.4, §6.5), so upstream's Python readers load what this
// engine writes. Integer ids become numpy int64 scalars under the name
// `numpy.core.multiarray.scalar`, which numpy 1.x and 2.x both resolve.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cromss::data {

struct RecordId {
  enum class Kind { None, Int, Str } kind = Kind::None;
  int64_t int_id = 0;
  std::string str_id;
  static RecordId none() { return {}; }
  static RecordId integer(int64_t v) { return {Kind::Int, v, {}}; }
  static RecordId string(std::string s) { return {Kind::Str, 0, std::move(s)}; }
};

// protocol: 2 (bytes as _codecs.encode(str, 'latin1')) or 4 (binary bytes, STACK_GLOBAL).
std::string write_array_record(std::string_view raw, const std::vector<int64_t>& shape,
                               const RecordId& id, int protocol = 4);

}  // namespace cromss::data
