// libFuzzer target for the strict pickle-subset parser (data/pickle_reader.h), both dialects: any
// input must either parse or raise IoError; crashes, sanitizer reports, hangs and other exceptions
// are bugs.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "data/pickle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto r = cromss::data::parse_array_record(data, size, "fuzz");
    volatile size_t sink = r.data.size() + r.shape.size();
    (void)sink;
  } catch (const cromss::IoError&) {
  }
  try {  // the torch-checkpoint dialect (dicts, lists, storages, tensor rebuilds) on the same bytes
    const auto v = cromss::data::parse_pickle(data, size, "fuzz",
                                              cromss::data::PickleDialect::torch_checkpoint);
    volatile int sink = static_cast<int>(v.kind);
    (void)sink;
  } catch (const cromss::IoError&) {
  }
  return 0;
}
