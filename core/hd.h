// Marks functions that both the CPU reference loops and the CUDA kernels call, so the
// per-element math of every op is written once (DESIGN.md "Two backends, one math").
#pragma once

#if defined(__CUDACC__)
#define CROMSS_HD __host__ __device__ __forceinline__
#else
#define CROMSS_HD inline
#endif
