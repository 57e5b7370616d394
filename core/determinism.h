// --deterministic: a process-wide switch that makes every CUDA computation of a run give the same
// bits run to run (the CPU path already does for a fixed thread count). Off, the engine's own
// reductions still run in a fixed order (no float atomics in the training step), but each cuDNN
// convolution runs the fastest algorithm measured for its shape (kernels/conv2d_algo_cache.h),
// deterministic or not. On, convolutions take the heuristically best deterministic algorithm, and
// a convolution for which cuDNN offers no deterministic algorithm, and the bilinear resize
// backward (float atomics; not used in pretraining, whose decoder upsamples by nearest), throw an
// error naming --deterministic instead of running non-deterministically.
#pragma once

namespace cromss {

void set_deterministic_algorithms(bool on);
bool deterministic_algorithms();

}  // namespace cromss
