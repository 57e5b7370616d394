// --deterministic: a process-wide switch that makes every CUDA computation of a run give the same
// bits run to run (the CPU path already does for a fixed thread count). Off, the engine already
// prefers deterministic work: own reductions run in a fixed order (no float atomics in the
// training step) and cuDNN algorithms are chosen deterministic-first. On, it becomes a guarantee:
// a convolution for which cuDNN offers no deterministic algorithm, and the bilinear resize
// backward (float atomics; not used in pretraining, whose decoder upsamples by nearest), throw an
// error naming --deterministic instead of running non-deterministically.
#pragma once

namespace cromss {

void set_deterministic_algorithms(bool on);
bool deterministic_algorithms();

}  // namespace cromss
