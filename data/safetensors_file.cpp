// safetensors writer and reader (see safetensors_file.h).
#include "data/safetensors_file.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "data/atomic_file.h"

namespace cromss::data {

namespace {

constexpr std::pair<DType, const char*> kDtypes[] = {
    {DType::f32, "F32"}, {DType::f64, "F64"}, {DType::f16, "F16"}, {DType::bf16, "BF16"},
    {DType::i64, "I64"}, {DType::i32, "I32"}, {DType::u8, "U8"}};
constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

const char* dtype_code(DType d) {
  for (const auto& [t, code] : kDtypes)
    if (t == d) return code;
  CROMSS_THROW(ValueError, "safetensors: no code for dtype {}", dtype_name(d));
}

}  // namespace

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // nlohmann's ordered_json keeps the insertion order, so the header lists tensors in data order.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<Tensor> host;
  for (const auto& [name, t] : tensors) {
    CROMSS_CHECK(name != "__metadata__" && !header.contains(name),
                 "safetensors: tensor name '{}' is reserved or repeated", name);
    host.push_back(t.to(Device::cpu()).contiguous());
    header[name] = {{"dtype", dtype_code(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + host.back().nbytes()}}};
    offset += host.back().nbytes();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  out += text;
  for (const Tensor& t : host) out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  write_file_atomically(path, out);
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) CROMSS_THROW(IoError, "{}: cannot open", path);
  const std::string bytes{std::istreambuf_iterator<char>(f), {}};
  if (bytes.size() < 8)
    CROMSS_THROW(IoError, "{}: {} bytes is too short for safetensors", path, bytes.size());
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  if (n > kMaxHeader || n > bytes.size() - 8)
    CROMSS_THROW(IoError, "{}: header length {} exceeds the file ({} bytes)", path, n,
                 bytes.size());
  nlohmann::ordered_json header;
  try {
    header = nlohmann::ordered_json::parse(bytes.substr(8, n));
  } catch (const nlohmann::json::exception& e) {
    CROMSS_THROW(IoError, "{}: header is not JSON: {}", path, e.what());
  }
  if (!header.is_object()) CROMSS_THROW(IoError, "{}: header is not a JSON object", path);
  const uint64_t data_start = 8 + n, data_size = bytes.size() - data_start;
  SafetensorsFile out;
  for (const auto& [name, entry] : header.items()) {
    try {
      if (name == "__metadata__") {
        for (const auto& [k, v] : entry.items()) out.metadata[k] = v.get<std::string>();
        continue;
      }
      const std::string code = entry.at("dtype").get<std::string>();
      const Shape shape = entry.at("shape").get<Shape>();
      const auto offsets = entry.at("data_offsets").get<std::vector<uint64_t>>();
      DType dtype{};
      bool known = false;
      for (const auto& [t, c] : kDtypes)
        if (code == c) dtype = t, known = true;
      if (!known) CROMSS_THROW(IoError, "{}: tensor '{}': unsupported dtype {}", path, name, code);
      for (int64_t d : shape)
        if (d < 0 || d > (int64_t{1} << 40))
          CROMSS_THROW(IoError, "{}: tensor '{}': bad shape entry {}", path, name, d);
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
        CROMSS_THROW(IoError, "{}: tensor '{}': data_offsets outside the {} data bytes", path, name,
                     data_size);
      Tensor t = Tensor::empty(shape, dtype);
      if (t.nbytes() != offsets[1] - offsets[0])
        CROMSS_THROW(IoError, "{}: tensor '{}': shape {} needs {} bytes, offsets give {}", path,
                     name, shape_str(shape), t.nbytes(), offsets[1] - offsets[0]);
      if (t.nbytes() > 0)
        std::memcpy(t.raw_data(), bytes.data() + data_start + offsets[0], t.nbytes());
      out.tensors.emplace_back(name, std::move(t));
    } catch (const nlohmann::json::exception& e) {
      CROMSS_THROW(IoError, "{}: header entry '{}': {}", path, name, e.what());
    }
  }
  return out;
}

}  // namespace cromss::data
