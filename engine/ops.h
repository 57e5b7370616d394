// Umbrella include of every differentiable op of the engine.
#pragma once

#include "engine/autograd.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/concat.h"
#include "engine/ops/conv2d.h"
#include "engine/ops/dropout.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/group_norm.h"
#include "engine/ops/matmul.h"
#include "engine/ops/pooling.h"
#include "engine/ops/reduce.h"
#include "engine/ops/resize.h"
#include "engine/ops/shape_ops.h"
#include "engine/ops/softmax.h"
