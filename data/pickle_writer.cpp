// Pickle emitter for upstream's array records (see pickle_writer.h). Opcode sequences mirror
// CPython's output for `pickle.dumps((arr.tobytes(), arr.shape, np.int64(id)), protocol=p)`;
// memo opcodes are omitted (they are optional for a loader).
#include "data/pickle_writer.h"

#include "core/error.h"

namespace cromss::data {
namespace {

class Emitter {
 public:
  explicit Emitter(int protocol) : proto_(protocol) {}
  std::string out;

  void op(uint8_t c) { out.push_back(static_cast<char>(c)); }
  void le(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void str(std::string_view s) {
    if (proto_ >= 4 && s.size() < 256) {
      op(0x8c);
      le(s.size(), 1);
    } else {
      op('X');
      le(s.size(), 4);
    }
    out.append(s);
  }
  void bytes(std::string_view b) {
    if (proto_ >= 3) {
      if (b.size() < 256) {
        op('C');
        le(b.size(), 1);
      } else if (b.size() <= 0xffffffffull) {
        op('B');
        le(b.size(), 4);
      } else {
        op(0x8e);
        le(b.size(), 8);
      }
      out.append(b);
      return;
    }
    if (b.empty()) {  // CPython: __builtin__.bytes()
      global("__builtin__", "bytes");
      op(')');
      op('R');
      return;
    }
    // Protocol 2: _codecs.encode(<latin1 text as UTF-8>, 'latin1').
    global("_codecs", "encode");
    std::string utf8;
    utf8.reserve(b.size() * 2);
    for (unsigned char c : b) {
      if (c < 0x80) {
        utf8.push_back(static_cast<char>(c));
      } else {
        utf8.push_back(static_cast<char>(0xc0 | (c >> 6)));
        utf8.push_back(static_cast<char>(0x80 | (c & 0x3f)));
      }
    }
    str(utf8);
    str("latin1");
    op(0x86);
    op('R');
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      le(v, 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      le(v, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      op(0x8a);
      op(8);
      le(static_cast<uint64_t>(v), 8);
    }
  }
  void global(std::string_view module, std::string_view name) {
    if (proto_ >= 4) {
      str(module);
      str(name);
      op(0x93);
    } else {
      op('c');
      out.append(module);
      out.push_back('\n');
      out.append(name);
      out.push_back('\n');
    }
  }
  void tuple_of(size_t n) {
    if (n == 0)
      op(')');
    else if (n <= 3)
      op(static_cast<uint8_t>(0x84 + n));
    else
      op('t');  // caller pushed a MARK first
  }
  void numpy_int64(int64_t v) {
    global("numpy.core.multiarray", "scalar");
    global("numpy", "dtype");
    str("i8");
    op(0x89);  // NEWFALSE
    op(0x88);  // NEWTRUE
    op(0x87);
    op('R');
    op('(');  // dtype state (3, '<', None, None, None, -1, -1, 0)
    integer(3);
    str("<");
    op('N');
    op('N');
    op('N');
    integer(-1);
    integer(-1);
    integer(0);
    op('t');
    op('b');
    std::string raw;
    for (int i = 0; i < 8; ++i)
      raw.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
    bytes(raw);
    op(0x86);
    op('R');
  }

 private:
  int proto_;
};

}  // namespace

std::string write_array_record(std::string_view raw, const std::vector<int64_t>& shape,
                               const RecordId& id, int protocol) {
  CROMSS_CHECK(protocol == 2 || protocol == 4,
               "write_array_record: protocol must be 2 or 4, got {}", protocol);
  Emitter e(protocol);
  e.op(0x80);
  e.op(static_cast<uint8_t>(protocol));
  e.bytes(raw);
  if (shape.size() > 3) e.op('(');
  for (int64_t d : shape) e.integer(d);
  e.tuple_of(shape.size());
  size_t items = 2;
  if (id.kind == RecordId::Kind::Int) {
    e.numpy_int64(id.int_id);
    ++items;
  } else if (id.kind == RecordId::Kind::Str) {
    e.str(id.str_id);
    ++items;
  }
  e.tuple_of(items);
  e.op('.');
  return std::move(e.out);
}

}  // namespace cromss::data
