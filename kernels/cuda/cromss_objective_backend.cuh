// Shared by the two files of the CUDA objective backend (kernels/cuda/cromss_objective.cu and
// kernels/cuda/cromss_threshold.cu): the thresholds pass of the backend table.
#pragma once

#include "kernels/cromss_objective.h"

namespace cromss::cuda_kernels {

void class_thresholds_pass(const ObjectiveArrays& a, int branch, double ratio, CrossRankSum* ranks);

}  // namespace cromss::cuda_kernels
