// Low-level pickle opcode emitter shared by the writers of upstream's LMDB records
// (data/pickle_writer.h) and of torch .pt files (data/torch_save.h). Each call appends the
// opcodes CPython's pickler would write for that value in protocol 2 (or 4 where noted); no memo
// opcodes (optional for every loader).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cromss::data {

class PickleEmitter {
 public:
  explicit PickleEmitter(int protocol) : proto_(protocol) {}
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

 private:
  int proto_;
};

}  // namespace cromss::data
