// Native Lightning .ckpt reader (see torch_checkpoint.h). Mirrors tools/convert_ckpt.py's
// read_ckpt and config_from_hparams, which stay the reference for the other direction.
#include "data/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "core/error.h"
#include "data/pickle_reader.h"
#include "data/zip_reader.h"

#include <fmt/ranges.h>

namespace cromss::data {

namespace {

using Kind = PickleValue::Kind;

struct StorageType {
  const char* name;
  size_t element_size;
  DType dtype;  // what the tensor becomes (16- and 8-bit signed integers widen to i64)
};

constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", 4, DType::f32}, {"DoubleStorage", 8, DType::f64},
    {"HalfStorage", 2, DType::f16},  {"BFloat16Storage", 2, DType::bf16},
    {"LongStorage", 8, DType::i64},  {"IntStorage", 4, DType::i32},
    {"ShortStorage", 2, DType::i64}, {"CharStorage", 1, DType::i64},
    {"ByteStorage", 1, DType::u8},   {"BoolStorage", 1, DType::u8},
};

const StorageType& storage_type(const std::string& name) {
  for (const auto& t : kStorageTypes)
    if (name == t.name) return t;
  CROMSS_THROW(IoError, "unknown storage type {}", name);  // the parser only lets known ones by
}

bool safe_storage_key(const std::string& key) {
  return !key.empty() && key.size() < 64 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

// Little-endian value of `size` bytes, sign-extended when `is_signed`.
int64_t element_as_i64(const uint8_t* p, size_t size, bool is_signed) {
  uint64_t v = 0;
  for (size_t b = 0; b < size; ++b) v |= static_cast<uint64_t>(p[b]) << (8 * b);
  if (is_signed && size < 8 && ((v >> (8 * size - 1)) & 1)) v |= ~uint64_t{0} << (8 * size);
  return static_cast<int64_t>(v);
}

class Loader {
 public:
  explicit Loader(const std::string& path) : zip_(path), path_(path) { find_archive(); }

  TorchCheckpoint load() {
    const std::string pkl_member = prefix_ + "data.pkl";
    const std::string_view pkl = zip_.read(pkl_member);
    pkl_where_ = fmt::format("{}: member '{}'", path_, pkl_member);
    const PickleValue root = parse_pickle(reinterpret_cast<const uint8_t*>(pkl.data()), pkl.size(),
                                          pkl_where_, PickleDialect::torch_checkpoint);
    if (root.kind != Kind::Dict)
      fail_top(fmt::format("top level is a {}, not a dict", pickle_kind_name(root.kind)));
    const PickleValue* state = pickle_lookup(root, "state_dict");
    if (!state) fail_top("not a Lightning checkpoint (no 'state_dict')");
    if (state->kind != Kind::Dict)
      fail_top(fmt::format("'state_dict' is a {}, not a dict", pickle_kind_name(state->kind)));

    TorchCheckpoint ckpt;
    std::set<std::string> seen;
    const auto& kv = *state->items;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].kind != Kind::Str)
        fail_top(fmt::format("state_dict key {} is a {}, not a str", i / 2,
                             pickle_kind_name(kv[i].kind)));
      std::string key(kv[i].bytes);
      if (kv[i + 1].kind != Kind::Tensor)
        fail_top(fmt::format("state_dict entry {} is a {}, not a tensor", key,
                             pickle_kind_name(kv[i + 1].kind)));
      if (!seen.insert(key).second) fail_top(fmt::format("state_dict key {} appears twice", key));
      ckpt.state_dict.emplace_back(key, materialize(key, *kv[i + 1].tensor));
    }
    ckpt.epoch = int_entry(root, "epoch");
    ckpt.global_step = int_entry(root, "global_step");
    const PickleValue* hparams = pickle_lookup(root, "hyper_parameters");
    if (hparams) ckpt.config = config_from_hparams(*hparams);
    return ckpt;
  }

 private:
  [[noreturn]] void fail_top(const std::string& what) const {
    CROMSS_THROW(IoError, "{}: {}", pkl_where_, what);
  }

  // torch.save writes every member under one folder: <archive>/data.pkl, <archive>/data/<key>.
  void find_archive() {
    for (const auto& m : zip_.members()) {
      const auto slash = m.name.find('/');
      if (slash == std::string::npos || m.name.substr(slash + 1) != "data.pkl") continue;
      if (!prefix_.empty())
        CROMSS_THROW(IoError,
                     "{}: two data.pkl members ('{}data.pkl', '{}'): not a torch.save file", path_,
                     prefix_, m.name);
      prefix_ = m.name.substr(0, slash + 1);
    }
    if (prefix_.empty())
      CROMSS_THROW(IoError, "{}: no <archive>/data.pkl member: not a torch.save zip checkpoint",
                   path_);
    if (const ZipMember* order = zip_.find(prefix_ + "byteorder")) {
      const std::string_view text = zip_.read(*order);
      if (text != "little" && text != "big")
        CROMSS_THROW(IoError, "{}: member '{}' says '{}' (expected little or big)", path_,
                     order->name, text);
      big_endian_ = text == "big";
    }
  }

  Tensor materialize(const std::string& key, const TorchTensorRef& t) {
    const StorageType& type = storage_type(t.storage_type);
    const std::string member = prefix_ + "data/" + t.storage_key;
    auto fail = [&](const std::string& what) {
      CROMSS_THROW(IoError, "{}: byte offset {}: state_dict entry {}: {}", pkl_where_,
                   t.pickle_offset, key, what);
    };
    if (!safe_storage_key(t.storage_key))
      fail(fmt::format("storage key '{}' is not a plain name", t.storage_key));
    const ZipMember* m = zip_.find(member);
    if (!m) fail(fmt::format("its storage member '{}' is missing", member));
    const std::string_view bytes = zip_.read(*m);
    if (bytes.size() != static_cast<uint64_t>(t.storage_numel) * type.element_size)
      fail(fmt::format("member '{}' has {} bytes, the {} of {} elements needs {}", member,
                       bytes.size(), type.name, t.storage_numel,
                       static_cast<uint64_t>(t.storage_numel) * type.element_size));
    // Bounds: numel <= storage numel (no expanded views) and the last element inside the storage.
    unsigned __int128 numel = 1, last = static_cast<uint64_t>(t.offset);
    for (size_t d = 0; d < t.shape.size(); ++d) {
      numel *= static_cast<uint64_t>(t.shape[d]);
      if (numel > static_cast<uint64_t>(t.storage_numel))
        numel = ~static_cast<unsigned __int128>(0);
      if (t.shape[d] > 0)
        last += static_cast<unsigned __int128>(t.shape[d] - 1) * static_cast<uint64_t>(t.stride[d]);
    }
    if (numel > static_cast<uint64_t>(t.storage_numel) ||
        (numel > 0 && last >= static_cast<uint64_t>(t.storage_numel)))
      fail(fmt::format("shape {} stride {} offset {} reaches outside its storage of {} elements",
                       fmt::join(t.shape, "x"), fmt::join(t.stride, "x"), t.offset,
                       t.storage_numel));

    // Gather the strided view into contiguous little-endian elements.
    const size_t es = type.element_size;
    const auto n = static_cast<int64_t>(numel);
    std::string raw(static_cast<size_t>(n) * es, '\0');
    std::vector<int64_t> index(t.shape.size(), 0);
    const auto* src = reinterpret_cast<const uint8_t*>(bytes.data());
    int64_t expected_stride = 1;
    bool contiguous = true;
    for (size_t d = t.shape.size(); d-- > 0;) {
      contiguous = contiguous && (t.shape[d] == 1 || t.stride[d] == expected_stride);
      expected_stride *= t.shape[d];
    }
    if (contiguous && n > 0) std::memcpy(raw.data(), src + t.offset * es, raw.size());
    for (int64_t i = 0; i < (contiguous ? 0 : n); ++i) {
      int64_t at = t.offset;
      for (size_t d = 0; d < index.size(); ++d) at += index[d] * t.stride[d];
      std::memcpy(raw.data() + i * es, src + at * es, es);
      for (size_t d = index.size(); d-- > 0;) {
        if (++index[d] < t.shape[d]) break;
        index[d] = 0;
      }
    }
    if (big_endian_ && es > 1)
      for (int64_t i = 0; i < n; ++i)
        std::reverse(raw.begin() + i * es, raw.begin() + (i + 1) * es);

    Tensor out = Tensor::empty(Shape(t.shape.begin(), t.shape.end()), type.dtype);
    if (dtype_size(type.dtype) == es) {
      if (n > 0) std::memcpy(out.raw_data(), raw.data(), raw.size());
    } else {  // signed 8/16-bit integers widened to i64
      auto* dst = out.data<int64_t>();
      for (int64_t i = 0; i < n; ++i)
        dst[i] = element_as_i64(reinterpret_cast<const uint8_t*>(raw.data()) + i * es, es, true);
    }
    return out;
  }

  int64_t int_entry(const PickleValue& root, const char* name) const {
    const PickleValue* v = pickle_lookup(root, name);
    if (!v || v->kind == Kind::None) return 0;
    if (v->kind != Kind::Int && v->kind != Kind::NumpyInt)
      fail_top(fmt::format("'{}' is a {}, not an int", name, pickle_kind_name(v->kind)));
    return v->integer;
  }

  // Python's str() of a dict key.
  std::string key_string(const PickleValue& v) const {
    switch (v.kind) {
      case Kind::Str:
        return std::string(v.bytes);
      case Kind::Int:
      case Kind::NumpyInt:
        return std::to_string(v.integer);
      case Kind::Bool:
        return v.integer ? "True" : "False";
      case Kind::None:
        return "None";
      default:
        return fmt::format("<{}>", pickle_kind_name(v.kind));
    }
  }

  // convert_ckpt.py's jsonable(): JSON values as they are, containers recursively, anything else
  // as a short description string.
  nlohmann::json jsonable(const PickleValue& v) const {
    switch (v.kind) {
      case Kind::None:
        return nullptr;
      case Kind::Bool:
        return v.integer != 0;
      case Kind::Int:
      case Kind::NumpyInt:
        return v.integer;
      case Kind::Float:
        return v.real;
      case Kind::Str:
        return std::string(v.bytes);
      case Kind::Tuple:
      case Kind::List: {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& it : *v.items) a.push_back(jsonable(it));
        return a;
      }
      case Kind::Dict: {
        nlohmann::json o = nlohmann::json::object();
        for (size_t i = 0; i + 1 < v.items->size(); i += 2)
          o[key_string((*v.items)[i])] = jsonable((*v.items)[i + 1]);
        return o;
      }
      default:
        return fmt::format("<{}>", v.kind == Kind::Object ? v.text : pickle_kind_name(v.kind));
    }
  }

  // convert_ckpt.py's config_from_hparams(): {'args': Namespace} (upstream) or a plain dict ->
  // one flat object.
  nlohmann::json config_from_hparams(const PickleValue& hparams) const {
    nlohmann::json config = nlohmann::json::object();
    if (hparams.kind == Kind::None) return config;
    auto add = [&](const std::string& key, const PickleValue& value) {
      if (value.kind == Kind::Object || value.kind == Kind::Dict) {
        for (size_t i = 0; i + 1 < value.items->size(); i += 2)
          config[key_string((*value.items)[i])] = jsonable((*value.items)[i + 1]);
      } else {
        config[key] = jsonable(value);
      }
    };
    if (hparams.kind != Kind::Dict) {
      add("args", hparams);
      return config;
    }
    for (size_t i = 0; i + 1 < hparams.items->size(); i += 2)
      add(key_string((*hparams.items)[i]), (*hparams.items)[i + 1]);
    return config;
  }

  ZipReader zip_;
  std::string path_;
  std::string prefix_;
  std::string pkl_where_;
  bool big_endian_ = false;
};

}  // namespace

TorchCheckpoint read_torch_checkpoint(const std::string& path) {
  return Loader(path).load();
}

}  // namespace cromss::data
