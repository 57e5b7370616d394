// Names of the memory formats, for flags, JSON and error messages.
#include "core/memory_format.h"

#include "core/error.h"

namespace cromss {

const char* memory_format_name(MemoryFormat f) {
  return f == MemoryFormat::nhwc ? "nhwc" : "nchw";
}

MemoryFormat parse_memory_format(std::string_view name) {
  if (name == "nchw" || name == "contiguous") return MemoryFormat::nchw;
  if (name == "nhwc" || name == "channels_last") return MemoryFormat::nhwc;
  CROMSS_THROW(ValueError, "unknown memory format '{}' (expected nchw or nhwc/channels_last)",
               name);
}

}  // namespace cromss
