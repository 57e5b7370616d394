// A strict, non-executing reader of the pickle subset that upstream's LMDB values use
// (method-spec.md §6.2, §6.4, §6.5, quirk 14): protocols 2-5 pickles of tuples, bytes (protocol 2
// spells them as
// `_codecs.encode(str, 'latin1')`), ints, strings and numpy integer scalars
// (`numpy.core.multiarray.scalar` or numpy 2's `numpy._core.multiarray.scalar` applied to a
// `numpy.dtype` with its BUILD state). No callable is ever invoked: the only globals accepted are
// those four, and each is interpreted by hand. Anything else is rejected with an IoError naming
// the source (LMDB path and key) and the byte offset of the offending opcode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cromss::data {

// A decoded pickle value. Bytes point into the parsed buffer when they were stored verbatim
// (protocol >= 3) or into `owned` when they had to be decoded (protocol 2 latin1 strings).
struct PickleValue {
  // Dtype and Global only exist while parsing (a numpy dtype, an allowed global); Mark is the
  // MARK opcode's stack marker. A finished record holds the other kinds.
  enum class Kind { None, Bool, Int, Bytes, Str, Tuple, NumpyInt, Dtype, Global, Mark };
  Kind kind = Kind::None;
  int64_t integer = 0;     // Bool, Int, NumpyInt; Dtype: byte-order character after BUILD
  std::string_view bytes;  // Bytes, Str (UTF-8)
  std::shared_ptr<const std::string> owned;
  std::shared_ptr<const std::vector<PickleValue>> items;  // Tuple
  int depth = 0;     // Tuple nesting depth (bounded, so destruction cannot recurse deeply)
  std::string text;  // NumpyInt/Dtype: dtype code such as "i8"; Global: "module.name"
};

const char* pickle_kind_name(PickleValue::Kind kind);

// Parses a whole pickle (must end with STOP at the last byte). `where` names the source for
// error messages, e.g. "LMDB /data/x.lmdb key '17'".
PickleValue parse_pickle(const uint8_t* data, size_t size, const std::string& where);

// Upstream's array record: (raw bytes, shape tuple[, id]). The id is an int (numpy scalar or
// Python int) or a string (file-id of the DW/OSM LMDBs); absent in DFC2020 records.
struct ArrayRecord {
  std::string_view data;  // raw C-order array bytes
  std::shared_ptr<const std::string> owned;
  std::vector<int64_t> shape;
  enum class IdKind { None, Int, Str } id_kind = IdKind::None;
  int64_t int_id = 0;
  std::string str_id;
  std::string id_string() const;  // "<none>", the integer or the string
};

ArrayRecord parse_array_record(const uint8_t* data, size_t size, const std::string& where);

}  // namespace cromss::data
