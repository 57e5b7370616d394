// Where a tensor lives: the host (cpu) or one CUDA device (cuda:N). Transfers between devices
// are always explicit (Tensor::to); nothing copies behind the caller's back.
#pragma once

#include <string>
#include <string_view>

namespace cromss {

struct Device {
  enum class Kind : unsigned char { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;

  static Device cpu() { return {Kind::cpu, 0}; }
  static Device cuda(int i = 0) { return {Kind::cuda, i}; }
  static Device parse(std::string_view text);  // "cpu", "cuda", "cuda:1"; throws ValueError
  bool is_cpu() const { return kind == Kind::cpu; }
  bool is_cuda() const { return kind == Kind::cuda; }
  std::string str() const;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// Number of usable CUDA devices; 0 in a CPU-only build or on a machine without a GPU.
int cuda_device_count();
// True when this binary was compiled with the CUDA backend.
bool built_with_cuda();

// What a device computes in: 16-bit training (fp16/bf16 with fp32 master weights) runs on CUDA
// devices; bf16 needs compute capability 8.0 or newer. The CPU trains in fp32.
bool supports_16bit_training(Device device);
bool supports_bf16(Device device);
// The device of one rank of a data-parallel job on `device`'s kind: cuda:(local_rank mod the
// number of visible devices), or the CPU.
Device device_for_local_rank(Device device, int local_rank);

}  // namespace cromss
