// A strict, non-executing reader of the pickle subsets this engine reads. No callable is ever
// invoked: each accepted global is interpreted by hand, and anything else is rejected with an
// IoError naming the source and the byte offset of the offending opcode.
//
// PickleDialect::lmdb_record - upstream's LMDB values (method-spec.md §6.2, §6.4, §6.5, quirk 14):
// protocols 2-5 pickles of tuples, bytes (protocol 2 spells them as `_codecs.encode(str,
// 'latin1')`), ints, strings and numpy integer scalars (`numpy.core.multiarray.scalar` or numpy
// 2's `numpy._core.multiarray.scalar` applied to a `numpy.dtype` with its BUILD state).
//
// PickleDialect::torch_checkpoint - additionally the data.pkl of a torch.save zip (Lightning
// .ckpt files): dicts, lists, floats, `collections.OrderedDict`, `argparse.Namespace` (an object
// whose BUILD state is kept as its attributes), storages as persistent ids ('storage',
// torch.<Type>Storage, key, location, numel) and tensors rebuilt by
// `torch._utils._rebuild_tensor_v2` / `_rebuild_parameter` (recorded as references into the
// storages; the bytes live in the archive's data/<key> members, see data/torch_checkpoint.h).
// Containers may only be filled before they are nested in another (as CPython's pickler writes
// them), which keeps every value acyclic and at most 32 levels deep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cromss::data {

enum class PickleDialect { lmdb_record, torch_checkpoint };

struct PickleItems;

// A tensor of a torch pickle: a strided view of a storage, itself an archive member.
struct TorchTensorRef {
  std::string storage_key;   // the data/<key> member
  std::string storage_type;  // "FloatStorage", "LongStorage", ...
  int64_t storage_numel = 0;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> shape, stride;
  size_t pickle_offset = 0;  // byte offset of the rebuild call, for error messages
};

// A decoded pickle value. Bytes point into the parsed buffer when they were stored verbatim
// (protocol >= 3) or into `owned` when they had to be decoded (protocol 2 latin1 strings).
struct PickleValue {
  // Dtype, Global and Storage only exist while parsing (a numpy dtype, an allowed global, a
  // persistent storage id); Mark is the MARK opcode's stack marker. A finished value holds the
  // other kinds. List, Dict, Float, Object and Tensor only come from the torch dialect.
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    Bytes,
    Str,
    Tuple,
    List,
    Dict,
    Object,
    Tensor,
    NumpyInt,
    Dtype,
    Global,
    Storage,
    Mark
  };
  Kind kind = Kind::None;
  int64_t integer = 0;     // Bool, Int, NumpyInt; Dtype: byte-order character after BUILD
  double real = 0;         // Float
  std::string_view bytes;  // Bytes, Str (UTF-8)
  std::shared_ptr<const std::string> owned;
  // Tuple, List: the items; Dict: keys and values alternating, in file order (a repeated key
  // appears twice, Python keeps the last); Object: its attributes, like a Dict.
  std::shared_ptr<PickleItems> items;
  std::shared_ptr<const TorchTensorRef> tensor;  // Tensor, Storage
  std::string text;  // NumpyInt/Dtype: dtype code such as "i8"; Global: its tag; Object: class
};

struct PickleItems : std::vector<PickleValue> {
  int depth = 1;        // nesting depth (bounded, so destruction cannot recurse deeply)
  bool nested = false;  // already an item of another container: no longer modifiable
};

// The value stored under a string key of a Dict or Object (the last one), or nullptr.
const PickleValue* pickle_lookup(const PickleValue& dict, std::string_view key);

const char* pickle_kind_name(PickleValue::Kind kind);

// Parses a whole pickle (must end with STOP at the last byte). `where` names the source for
// error messages, e.g. "LMDB /data/x.lmdb key '17'".
PickleValue parse_pickle(const uint8_t* data, size_t size, const std::string& where,
                         PickleDialect dialect = PickleDialect::lmdb_record);

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
