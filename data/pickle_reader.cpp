// Strict pickle-subset reader (see pickle_reader.h). A small stack machine over the opcodes that
// CPython's pickle emits for upstream's records and for torch.save's data.pkl; every other
// opcode, every unknown global and every malformed operand is an error with the byte offset.
// Limits on stack depth, memo size and nesting depth keep hostile input bounded.
#include "data/pickle_reader.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/error.h"

namespace cromss::data {

const char* pickle_kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::None:
      return "None";
    case PickleValue::Kind::Bool:
      return "bool";
    case PickleValue::Kind::Int:
      return "int";
    case PickleValue::Kind::Bytes:
      return "bytes";
    case PickleValue::Kind::Str:
      return "str";
    case PickleValue::Kind::Float:
      return "float";
    case PickleValue::Kind::Tuple:
      return "tuple";
    case PickleValue::Kind::List:
      return "list";
    case PickleValue::Kind::Dict:
      return "dict";
    case PickleValue::Kind::Object:
      return "object";
    case PickleValue::Kind::Tensor:
      return "tensor";
    case PickleValue::Kind::Storage:
      return "storage";
    case PickleValue::Kind::NumpyInt:
      return "numpy integer";
    case PickleValue::Kind::Dtype:
      return "numpy dtype";
    case PickleValue::Kind::Global:
      return "global";
    case PickleValue::Kind::Mark:
      return "MARK";
  }
  return "?";
}

namespace {

using Kind = PickleValue::Kind;
constexpr size_t kMaxStack = 4096;
constexpr size_t kMaxMemo = 1 << 16;
constexpr int kMaxDepth = 32;

// The torch storage classes a persistent id may name (torch/storage.py _pickle_storage_type).
bool is_storage_type(const std::string& name) {
  for (const char* t :
       {"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
        "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"})
    if (name == t) return true;
  return false;
}

class Parser {
 public:
  Parser(const uint8_t* data, size_t size, const std::string& where, PickleDialect dialect)
      : p_(data), n_(size), where_(where), torch_(dialect == PickleDialect::torch_checkpoint) {}

  PickleValue run() {
    if (n_ == 0) fail(0, "empty value (expected a pickle)");
    while (true) {
      if (pos_ >= n_) fail(pos_, "truncated pickle: no STOP opcode");
      op_pos_ = pos_;
      const uint8_t op = p_[pos_++];
      if (!torch_ && is_torch_only(op))
        fail(op_pos_, fmt::format("opcode 0x{:02x} is not in the accepted pickle subset", op));
      switch (op) {
        case 0x80: {  // PROTO
          const int proto = u8();
          if (proto < 2 || proto > 5)
            fail(op_pos_, fmt::format("unsupported pickle protocol {}", proto));
          break;
        }
        case 0x95:
          (void)uint_le(8);
          break;  // FRAME: transparent to a whole-buffer reader
        case 'C':
          push_blob(Kind::Bytes, u8());
          break;
        case 'B':
          push_blob(Kind::Bytes, uint_le(4));
          break;
        case 0x8e:
          push_blob(Kind::Bytes, uint_le(8));
          break;
        case 'X':
          push_blob(Kind::Str, uint_le(4));
          break;
        case 0x8c:
          push_blob(Kind::Str, u8());
          break;
        case 0x8d:
          push_blob(Kind::Str, uint_le(8));
          break;
        case 'J':
          push_int(Kind::Int, static_cast<int32_t>(static_cast<uint32_t>(uint_le(4))));
          break;
        case 'K':
          push_int(Kind::Int, u8());
          break;
        case 'M':
          push_int(Kind::Int, static_cast<int64_t>(uint_le(2)));
          break;
        case 0x8a:
          long1();
          break;
        case 'N':
          push(PickleValue{});
          break;
        case 0x88:
          push_int(Kind::Bool, 1);
          break;
        case 0x89:
          push_int(Kind::Bool, 0);
          break;
        case ')':
          push_tuple({});
          break;
        case 0x85:
          tuple_n(1);
          break;
        case 0x86:
          tuple_n(2);
          break;
        case 0x87:
          tuple_n(3);
          break;
        case 't':
          tuple_mark();
          break;
        case '(': {
          PickleValue m;
          m.kind = Kind::Mark;
          push(std::move(m));
          break;
        }
        case 0x94:
          memo_put(memo_.size());
          break;
        case 'q':
          memo_put(u8());
          break;
        case 'r':
          memo_put(uint_le(4));
          break;
        case 'h':
          memo_get(u8());
          break;
        case 'j':
          memo_get(uint_le(4));
          break;
        case 'c':
          global_line();
          break;
        case 0x93:
          stack_global();
          break;
        case 'R':
        case 0x81:
          reduce(op == 'R' ? "REDUCE" : "NEWOBJ");
          break;
        case 'b':
          build();
          break;
        case '}':
          push_container(Kind::Dict);
          break;
        case ']':
          push_container(Kind::List);
          break;
        case 's':
          fill(Kind::Dict, "SETITEM", 2);
          break;
        case 'u':
          fill(Kind::Dict, "SETITEMS", 0);
          break;
        case 'a':
          fill(Kind::List, "APPEND", 1);
          break;
        case 'e':
          fill(Kind::List, "APPENDS", 0);
          break;
        case 'G':
          binfloat();
          break;
        case 'Q':
          persistent_id();
          break;
        case '.':
          return stop();
        default:
          fail(op_pos_, fmt::format("opcode 0x{:02x} is not in the accepted pickle subset", op));
      }
    }
  }

 private:
  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    CROMSS_THROW(IoError, "{}: byte offset {}: {}", where_, offset, what);
  }

  void need(uint64_t count) const {
    if (count > n_ - pos_)
      fail(op_pos_, fmt::format("truncated operand: needs {} bytes, {} left", count, n_ - pos_));
  }
  uint8_t u8() {
    need(1);
    return p_[pos_++];
  }
  uint64_t uint_le(int bytes) {
    need(bytes);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
    pos_ += bytes;
    return v;
  }

  static bool is_torch_only(uint8_t op) {
    return op == '}' || op == ']' || op == 's' || op == 'u' || op == 'a' || op == 'e' ||
           op == 'G' || op == 'Q';
  }

  void push(PickleValue v) {
    if (stack_.size() >= kMaxStack) fail(op_pos_, "stack depth limit exceeded");
    stack_.push_back(std::move(v));
  }
  void push_int(Kind kind, int64_t v) {
    PickleValue x;
    x.kind = kind;
    x.integer = v;
    push(std::move(x));
  }
  void push_blob(Kind kind, uint64_t len) {
    need(len);
    PickleValue x;
    x.kind = kind;
    x.bytes = std::string_view(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    push(std::move(x));
  }
  void push_container(Kind kind) {
    PickleValue x;
    x.kind = kind;
    x.items = std::make_shared<PickleItems>();
    push(std::move(x));
  }
  // Records that `item` now lives inside `container` (which must still be modifiable).
  void nest(PickleItems& container, const PickleValue& item) {
    if (!item.items) return;
    if (item.items.get() == &container) fail(op_pos_, "a container cannot contain itself");
    item.items->nested = true;
    container.depth = std::max(container.depth, item.items->depth + 1);
    if (container.depth > kMaxDepth)
      fail(op_pos_, fmt::format("tuples or containers nested deeper than {}", kMaxDepth));
  }
  PickleItems& modifiable(PickleValue& target, Kind kind, const char* opname) {
    if (target.kind != kind)
      fail(op_pos_, fmt::format("{} on a {}", opname, pickle_kind_name(target.kind)));
    if (target.items->nested)
      fail(op_pos_, fmt::format("{} on a {} that is already inside another container", opname,
                                pickle_kind_name(kind)));
    return *target.items;
  }
  void push_tuple(std::vector<PickleValue> items) {
    PickleValue x;
    x.kind = Kind::Tuple;
    x.items = std::make_shared<PickleItems>();
    for (const auto& it : items) nest(*x.items, it);
    x.items->assign(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    push(std::move(x));
  }

  // SETITEM / APPEND (`count` items on top of the target) and SETITEMS / APPENDS (count 0: the
  // items above the topmost MARK, which sits on top of the target): moves them into the dict
  // (key, value pairs) or list below.
  void fill(Kind kind, const char* opname, size_t count) {
    size_t first = stack_.size();
    if (count == 0) {
      while (first > 0 && stack_[first - 1].kind != Kind::Mark) --first;
      if (first == 0) fail(op_pos_, fmt::format("{} without MARK", opname));
    } else {
      if (stack_.size() < count + 1) fail(op_pos_, fmt::format("{}: stack underflow", opname));
      first -= count;
      for (size_t i = first; i < stack_.size(); ++i)
        if (stack_[i].kind == Kind::Mark) fail(op_pos_, fmt::format("{}: unexpected MARK", opname));
    }
    const size_t target = count == 0 ? first - 2 : first - 1;
    if (count == 0 && first < 2) fail(op_pos_, fmt::format("{}: stack underflow", opname));
    if (kind == Kind::Dict && (stack_.size() - first) % 2)
      fail(op_pos_, fmt::format("{}: a key without a value", opname));
    PickleItems& items = modifiable(stack_[target], kind, opname);
    for (size_t i = first; i < stack_.size(); ++i) {
      nest(items, stack_[i]);
      items.push_back(std::move(stack_[i]));
    }
    stack_.resize(target + 1);
  }
  void binfloat() {
    const uint64_t big = uint_le(8);
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= ((big >> (8 * i)) & 0xff) << (8 * (7 - i));
    PickleValue x;
    x.kind = Kind::Float;
    std::memcpy(&x.real, &bits, 8);
    push(std::move(x));
  }
  // BINPERSID: torch's ('storage', torch.<Type>Storage, key, location, numel).
  void persistent_id() {
    const PickleValue pid = pop("BINPERSID");
    if (pid.kind != Kind::Tuple || pid.items->size() != 5)
      fail(op_pos_, "persistent id must be a 5-tuple ('storage', type, key, location, numel)");
    const auto& t = *pid.items;
    if (t[0].kind != Kind::Str || t[0].bytes != "storage")
      fail(op_pos_, "persistent id is not a ('storage', ...) tuple");
    if (t[1].kind != Kind::Global || t[1].text.rfind("storage:", 0) != 0)
      fail(op_pos_, "persistent id: item 1 must be a torch storage class");
    if (t[2].kind != Kind::Str || t[3].kind != Kind::Str || t[4].kind != Kind::Int ||
        t[4].integer < 0)
      fail(op_pos_, "persistent id: expected (str key, str location, int numel)");
    auto ref = std::make_shared<TorchTensorRef>();
    ref->storage_type = t[1].text.substr(8);
    ref->storage_key = std::string(t[2].bytes);
    ref->storage_numel = t[4].integer;
    ref->pickle_offset = op_pos_;
    PickleValue s;
    s.kind = Kind::Storage;
    s.tensor = std::move(ref);
    push(std::move(s));
  }

  void long1() {
    const uint8_t len = u8();
    if (len > 8) fail(op_pos_, fmt::format("LONG1 of {} bytes does not fit in int64", len));
    need(len);
    uint64_t v = 0;
    for (int i = 0; i < len; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
    if (len > 0 && len < 8 && (p_[pos_ + len - 1] & 0x80)) v |= ~uint64_t{0} << (8 * len);
    pos_ += len;
    push_int(Kind::Int, static_cast<int64_t>(v));
  }

  PickleValue pop(const char* context) {
    if (stack_.empty()) fail(op_pos_, fmt::format("{}: stack underflow", context));
    PickleValue v = std::move(stack_.back());
    stack_.pop_back();
    if (v.kind == Kind::Mark) fail(op_pos_, fmt::format("{}: unexpected MARK", context));
    return v;
  }

  void tuple_n(size_t n) {
    if (stack_.size() < n) fail(op_pos_, "TUPLE: stack underflow");
    std::vector<PickleValue> items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop("TUPLE");
    push_tuple(std::move(items));
  }
  void tuple_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1].kind != Kind::Mark) --m;
    if (m == 0) fail(op_pos_, "TUPLE without MARK");
    std::vector<PickleValue> items(std::make_move_iterator(stack_.begin() + m),
                                   std::make_move_iterator(stack_.end()));
    stack_.resize(m - 1);
    push_tuple(std::move(items));
  }

  void memo_put(uint64_t index) {
    if (stack_.empty()) fail(op_pos_, "memo store with an empty stack");
    if (stack_.back().kind == Kind::Mark) fail(op_pos_, "memo store of a MARK");
    if (memo_.size() >= kMaxMemo && !memo_.count(index)) fail(op_pos_, "memo size limit exceeded");
    memo_[index] = stack_.back();
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail(op_pos_, fmt::format("memo index {} was never stored", index));
    push(it->second);
  }

  // The tag of an allowed global ("" when not allowed): its name, or "storage:<Type>".
  std::string global_tag(const std::string& module, const std::string& name) const {
    if ((module == "_codecs" && name == "encode") ||
        ((module == "__builtin__" || module == "builtins") && name == "bytes") ||
        (module == "numpy" && name == "dtype") ||
        ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") &&
         name == "scalar"))
      return name;
    if (!torch_) return "";
    if ((module == "collections" && name == "OrderedDict") ||
        (module == "argparse" && name == "Namespace") ||
        (module == "torch._utils" &&
         (name == "_rebuild_tensor_v2" || name == "_rebuild_parameter")))
      return name;
    if (module == "torch" && is_storage_type(name)) return "storage:" + name;
    return "";
  }
  void push_global(const std::string& module, const std::string& name) {
    std::string tag = global_tag(module, name);
    if (tag.empty()) fail(op_pos_, fmt::format("global '{}.{}' is not allowed", module, name));
    PickleValue g;
    g.kind = Kind::Global;
    g.text = std::move(tag);
    push(std::move(g));
  }
  std::string read_line() {
    const size_t start = pos_;
    while (pos_ < n_ && p_[pos_] != '\n') {
      if (pos_ - start >= 256) fail(op_pos_, "GLOBAL name longer than 256 bytes");
      ++pos_;
    }
    if (pos_ >= n_) fail(op_pos_, "truncated GLOBAL operand");
    std::string s(reinterpret_cast<const char*>(p_ + start), pos_ - start);
    ++pos_;
    return s;
  }
  void global_line() {
    const std::string module = read_line();
    const std::string name = read_line();
    push_global(module, name);
  }
  void stack_global() {
    const PickleValue name = pop("STACK_GLOBAL");
    const PickleValue module = pop("STACK_GLOBAL");
    if (name.kind != Kind::Str || module.kind != Kind::Str)
      fail(op_pos_, "STACK_GLOBAL needs two strings");
    push_global(std::string(module.bytes), std::string(name.bytes));
  }

  // Decodes UTF-8 whose code points are all < 256 (a latin1 string) into raw bytes.
  std::string latin1_bytes(std::string_view utf8) const {
    std::string out;
    out.reserve(utf8.size());
    for (size_t i = 0; i < utf8.size();) {
      const auto c = static_cast<uint8_t>(utf8[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
        i += 1;
        continue;
      }
      if ((c & 0xe0) != 0xc0 || i + 1 >= utf8.size() ||
          (static_cast<uint8_t>(utf8[i + 1]) & 0xc0) != 0x80)
        fail(op_pos_, "_codecs.encode: string is not latin1 text");
      const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<uint8_t>(utf8[i + 1]) & 0x3fu);
      if (cp < 0x80 || cp >= 256) fail(op_pos_, "_codecs.encode: code point outside latin1");
      out.push_back(static_cast<char>(cp));
      i += 2;
    }
    return out;
  }

  // numpy integer scalar from (dtype, raw bytes).
  PickleValue numpy_scalar(const PickleValue& dtype, const PickleValue& raw) const {
    if (dtype.kind != Kind::Dtype || raw.kind != Kind::Bytes)
      fail(op_pos_, "numpy scalar expects (dtype, bytes)");
    const std::string& code = dtype.text;
    if (code.size() != 2 || (code[0] != 'i' && code[0] != 'u') ||
        (code[1] != '1' && code[1] != '2' && code[1] != '4' && code[1] != '8'))
      fail(op_pos_,
           fmt::format("numpy scalar of dtype '{}' (only integer ids are accepted)", code));
    const size_t width = static_cast<size_t>(code[1] - '0');
    if (raw.bytes.size() != width)
      fail(op_pos_, fmt::format("numpy scalar of dtype '{}' has {} bytes", code, raw.bytes.size()));
    const bool big = dtype.integer == '>';
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      const size_t src = big ? width - 1 - i : i;
      v |= static_cast<uint64_t>(static_cast<uint8_t>(raw.bytes[src])) << (8 * i);
    }
    if (code[0] == 'i' && width < 8 && (v >> (8 * width - 1)) & 1) v |= ~uint64_t{0} << (8 * width);
    if (code == "u8" && v > static_cast<uint64_t>(INT64_MAX))
      fail(op_pos_, "numpy uint64 id does not fit int64");
    PickleValue x;
    x.kind = Kind::NumpyInt;
    x.integer = static_cast<int64_t>(v);
    x.text = code;
    return x;
  }

  void reduce(const char* opname) {
    const PickleValue args = pop(opname);
    if (args.kind != Kind::Tuple)
      fail(op_pos_, fmt::format("{} arguments must be a tuple", opname));
    const PickleValue callee = pop(opname);
    if (callee.kind != Kind::Global)
      fail(op_pos_,
           fmt::format("{} of a {}, not an allowed global", opname, pickle_kind_name(callee.kind)));
    const auto& a = *args.items;
    if (callee.text == "OrderedDict" || callee.text == "Namespace") {
      if (!a.empty())
        fail(op_pos_, fmt::format("{}() is only accepted without arguments", callee.text));
      push_container(callee.text == "OrderedDict" ? Kind::Dict : Kind::Object);
      if (callee.text == "Namespace") stack_.back().text = "argparse.Namespace";
    } else if (callee.text == "_rebuild_tensor_v2") {
      push(rebuild_tensor(a));
    } else if (callee.text == "_rebuild_parameter") {
      if (a.size() != 3 || a[0].kind != Kind::Tensor || a[1].kind != Kind::Bool ||
          a[2].kind != Kind::Dict || !a[2].items->empty())
        fail(op_pos_, "_rebuild_parameter expects (tensor, requires_grad, empty hooks)");
      push(a[0]);
    } else if (callee.text.rfind("storage:", 0) == 0) {
      fail(op_pos_, "a storage class is only accepted inside a persistent id");
    } else if (callee.text == "encode") {
      if (a.size() != 2 || a[0].kind != Kind::Str || a[1].kind != Kind::Str ||
          a[1].bytes != "latin1")
        fail(op_pos_, "_codecs.encode expects (str, 'latin1')");
      auto owned = std::make_shared<const std::string>(latin1_bytes(a[0].bytes));
      PickleValue x;
      x.kind = Kind::Bytes;
      x.bytes = *owned;
      x.owned = std::move(owned);
      push(std::move(x));
    } else if (callee.text == "bytes") {
      if (!a.empty()) fail(op_pos_, "bytes() is only accepted without arguments");
      PickleValue x;
      x.kind = Kind::Bytes;
      push(std::move(x));
    } else if (callee.text == "dtype") {
      if (a.size() != 3 || a[0].kind != Kind::Str)
        fail(op_pos_, "numpy.dtype expects (code, align, copy)");
      PickleValue d;
      d.kind = Kind::Dtype;
      d.text = std::string(a[0].bytes);
      d.integer = '=';
      push(std::move(d));
    } else {
      if (a.size() != 2) fail(op_pos_, "numpy scalar expects (dtype, bytes)");
      push(numpy_scalar(a[0], a[1]));
    }
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).
  PickleValue rebuild_tensor(const std::vector<PickleValue>& a) {
    const char* expected =
        "_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, empty hooks"
        "[, metadata dict])";
    if ((a.size() != 6 && a.size() != 7) || a[0].kind != Kind::Storage || a[1].kind != Kind::Int ||
        a[2].kind != Kind::Tuple || a[3].kind != Kind::Tuple || a[4].kind != Kind::Bool ||
        a[5].kind != Kind::Dict || !a[5].items->empty() ||
        (a.size() == 7 && a[6].kind != Kind::Dict))
      fail(op_pos_, expected);
    auto ref = std::make_shared<TorchTensorRef>(*a[0].tensor);
    ref->offset = a[1].integer;
    ref->pickle_offset = op_pos_;
    for (int which = 2; which <= 3; ++which) {
      for (const auto& d : *a[which].items) {
        if (d.kind != Kind::Int || d.integer < 0)
          fail(op_pos_, "tensor sizes and strides must be non-negative ints");
        (which == 2 ? ref->shape : ref->stride).push_back(d.integer);
      }
    }
    if (ref->shape.size() != ref->stride.size() || ref->offset < 0)
      fail(op_pos_, "tensor size and stride differ in length, or the offset is negative");
    PickleValue t;
    t.kind = Kind::Tensor;
    t.tensor = std::move(ref);
    return t;
  }

  void build() {
    PickleValue state = pop("BUILD state");
    if (torch_ && !stack_.empty() &&
        (stack_.back().kind == Kind::Dict || stack_.back().kind == Kind::Object)) {
      // OrderedDict state (a state_dict's _metadata attribute) is dropped; an object's becomes
      // its attributes.
      PickleValue& target = stack_.back();
      PickleItems& attrs = modifiable(target, target.kind, "BUILD");
      if (state.kind != Kind::Dict) fail(op_pos_, "BUILD state must be a dict");
      if (target.kind == Kind::Object) {
        if (!attrs.empty()) fail(op_pos_, "BUILD twice on one object");
        for (const auto& it : *state.items) nest(attrs, it);
        attrs.insert(attrs.end(), state.items->begin(), state.items->end());
      }
      nest(attrs, state);
      return;
    }
    if (stack_.empty() || stack_.back().kind != Kind::Dtype)
      fail(op_pos_, "BUILD is only accepted on a numpy dtype");
    if (state.kind != Kind::Tuple || state.items->size() < 2 ||
        (*state.items)[1].kind != Kind::Str || (*state.items)[1].bytes.size() != 1)
      fail(op_pos_, "numpy dtype state must be a tuple (version, byte order, ...)");
    const char order = (*state.items)[1].bytes[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
      fail(op_pos_, fmt::format("numpy dtype byte order '{}'", order));
    stack_.back().integer = order;
  }

  PickleValue stop() {
    if (pos_ != n_) fail(op_pos_, fmt::format("{} trailing bytes after STOP", n_ - pos_));
    if (stack_.size() != 1)
      fail(op_pos_, fmt::format("STOP with {} stack entries (expected 1)", stack_.size()));
    PickleValue v = pop("STOP");
    if (v.kind == Kind::Dtype || v.kind == Kind::Global || v.kind == Kind::Storage)
      fail(op_pos_, "pickle result is a bare global, dtype or storage");
    return v;
  }

  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  const std::string& where_;
  const bool torch_;
  std::vector<PickleValue> stack_;
  std::unordered_map<uint64_t, PickleValue> memo_;
};

}  // namespace

PickleValue parse_pickle(const uint8_t* data, size_t size, const std::string& where,
                         PickleDialect dialect) {
  return Parser(data, size, where, dialect).run();
}

const PickleValue* pickle_lookup(const PickleValue& dict, std::string_view key) {
  if ((dict.kind != Kind::Dict && dict.kind != Kind::Object) || !dict.items) return nullptr;
  const auto& kv = *dict.items;
  for (size_t i = kv.size(); i >= 2; i -= 2)
    if (kv[i - 2].kind == Kind::Str && kv[i - 2].bytes == key) return &kv[i - 1];
  return nullptr;
}

std::string ArrayRecord::id_string() const {
  switch (id_kind) {
    case IdKind::None:
      return "<none>";
    case IdKind::Int:
      return std::to_string(int_id);
    case IdKind::Str:
      return str_id;
  }
  return "?";
}

ArrayRecord parse_array_record(const uint8_t* data, size_t size, const std::string& where) {
  const PickleValue v = parse_pickle(data, size, where);
  if (v.kind != Kind::Tuple || (v.items->size() != 2 && v.items->size() != 3))
    CROMSS_THROW(IoError, "{}: expected a pickled (bytes, shape[, id]) tuple, got a {}{}", where,
                 pickle_kind_name(v.kind),
                 v.kind == Kind::Tuple ? fmt::format(" of {} items", v.items->size()) : "");
  const auto& t = *v.items;
  if (t[0].kind != Kind::Bytes)
    CROMSS_THROW(IoError, "{}: record item 0 must be bytes, got {}", where,
                 pickle_kind_name(t[0].kind));
  if (t[1].kind != Kind::Tuple)
    CROMSS_THROW(IoError, "{}: record item 1 (shape) must be a tuple, got {}", where,
                 pickle_kind_name(t[1].kind));
  ArrayRecord r;
  r.data = t[0].bytes;
  r.owned = t[0].owned;
  for (const auto& d : *t[1].items) {
    if (d.kind != Kind::Int || d.integer < 0)
      CROMSS_THROW(IoError, "{}: shape entries must be non-negative ints", where);
    r.shape.push_back(d.integer);
  }
  if (t.size() == 3) {
    const auto& id = t[2];
    if (id.kind == Kind::Int || id.kind == Kind::NumpyInt) {
      r.id_kind = ArrayRecord::IdKind::Int;
      r.int_id = id.integer;
    } else if (id.kind == Kind::Str) {
      r.id_kind = ArrayRecord::IdKind::Str;
      r.str_id = std::string(id.bytes);
    } else {
      CROMSS_THROW(IoError, "{}: record id must be an int, numpy integer or str, got {}", where,
                   pickle_kind_name(id.kind));
    }
  }
  return r;
}

}  // namespace cromss::data
