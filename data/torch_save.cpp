// torch.save-compatible writer (see torch_save.h). The opcode sequence follows what torch.save
// (pickle protocol 2) writes for a state dict: REDUCE of collections.OrderedDict, then per tensor
// _rebuild_tensor_v2(BINPERSID ('storage', torch.FloatStorage, '<i>', 'cpu', numel), 0, size,
// stride, False, OrderedDict()).
#include "data/torch_save.h"

#include "core/error.h"
#include "data/atomic_file.h"
#include "data/pickle_emitter.h"
#include "data/zip_writer.h"

namespace cromss::data {

namespace {

const char* storage_class(DType d) {
  switch (d) {
    case DType::f32:
      return "FloatStorage";
    case DType::f64:
      return "DoubleStorage";
    case DType::f16:
      return "HalfStorage";
    case DType::bf16:
      return "BFloat16Storage";
    case DType::i64:
      return "LongStorage";
    case DType::i32:
      return "IntStorage";
    case DType::u8:
      return "ByteStorage";
  }
  CROMSS_THROW(ValueError, "torch .pt: no storage class for dtype {}", dtype_name(d));
}

void int_tuple(PickleEmitter& e, const Shape& values) {
  if (values.size() > 3) e.op('(');
  for (int64_t v : values) e.integer(v);
  e.tuple_of(values.size());
}

void empty_ordered_dict(PickleEmitter& e) {
  e.global("collections", "OrderedDict");
  e.op(')');
  e.op('R');
}

}  // namespace

std::string torch_save_bytes(const NamedTensors& state,
                             const std::map<std::string, std::string>& metadata) {
  constexpr const char* kArchive = "archive/";
  PickleEmitter e(2);
  ZipWriter zip;
  std::vector<Tensor> host;
  e.op(0x80);
  e.op(2);
  e.op('}');
  e.op('(');
  e.str("state_dict");
  empty_ordered_dict(e);
  e.op('(');
  for (size_t i = 0; i < state.size(); ++i) {
    const auto& [name, tensor] = state[i];
    host.push_back(tensor.to(Device::cpu()).contiguous());
    const Tensor& t = host.back();
    e.str(name);
    e.global("torch._utils", "_rebuild_tensor_v2");
    e.op('(');
    e.op('(');  // persistent id
    e.str("storage");
    e.global("torch", storage_class(t.dtype()));
    e.str(std::to_string(i));
    e.str("cpu");
    e.integer(t.numel());
    e.op('t');
    e.op('Q');
    e.integer(0);
    int_tuple(e, t.shape());
    Shape stride(t.shape().size());
    int64_t step = 1;
    for (size_t d = stride.size(); d-- > 0;) {
      stride[d] = step;
      step *= t.shape()[d];
    }
    int_tuple(e, stride);
    e.op(0x89);  // requires_grad False
    empty_ordered_dict(e);
    e.op('t');
    e.op('R');
  }
  e.op('u');
  e.str("metadata");
  e.op('}');
  if (!metadata.empty()) {
    e.op('(');
    for (const auto& [k, v] : metadata) {
      e.str(k);
      e.str(v);
    }
    e.op('u');
  }
  e.op('u');
  e.op('.');
  zip.add(std::string(kArchive) + "data.pkl", e.out);
  for (size_t i = 0; i < host.size(); ++i)
    zip.add(std::string(kArchive) + "data/" + std::to_string(i),
            std::string_view(static_cast<const char*>(host[i].raw_data()), host[i].nbytes()));
  zip.add(std::string(kArchive) + "version", "3\n");
  zip.add(std::string(kArchive) + "byteorder", "little");
  return zip.finish();
}

void write_torch_save(const std::string& path, const NamedTensors& state,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, torch_save_bytes(state, metadata));
}

}  // namespace cromss::data
