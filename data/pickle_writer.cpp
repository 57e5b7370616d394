// Pickle emitter for upstream's array records (see pickle_writer.h). Opcode sequences mirror
// CPython's output for `pickle.dumps((arr.tobytes(), arr.shape, np.int64(id)), protocol=p)`;
// memo opcodes are omitted (they are optional for a loader).
#include "data/pickle_writer.h"

#include "core/error.h"
#include "data/pickle_emitter.h"

namespace cromss::data {
namespace {

void numpy_int64(PickleEmitter& e, int64_t v) {
  e.global("numpy.core.multiarray", "scalar");
  e.global("numpy", "dtype");
  e.str("i8");
  e.op(0x89);  // NEWFALSE
  e.op(0x88);  // NEWTRUE
  e.op(0x87);
  e.op('R');
  e.op('(');  // dtype state (3, '<', None, None, None, -1, -1, 0)
  e.integer(3);
  e.str("<");
  e.op('N');
  e.op('N');
  e.op('N');
  e.integer(-1);
  e.integer(-1);
  e.integer(0);
  e.op('t');
  e.op('b');
  std::string raw;
  for (int i = 0; i < 8; ++i)
    raw.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  e.bytes(raw);
  e.op(0x86);
  e.op('R');
}

}  // namespace

std::string write_array_record(std::string_view raw, const std::vector<int64_t>& shape,
                               const RecordId& id, int protocol) {
  CROMSS_CHECK(protocol == 2 || protocol == 4,
               "write_array_record: protocol must be 2 or 4, got {}", protocol);
  PickleEmitter e(protocol);
  e.op(0x80);
  e.op(static_cast<uint8_t>(protocol));
  e.bytes(raw);
  if (shape.size() > 3) e.op('(');
  for (int64_t d : shape) e.integer(d);
  e.tuple_of(shape.size());
  size_t items = 2;
  if (id.kind == RecordId::Kind::Int) {
    numpy_int64(e, id.int_id);
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
