// One conv2d test case (shapes, parameters, bias), shared by the CPU gradient test and the CUDA
// parity test so that both tables read the same way; gtest prints a case by its name.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "engine/ops/conv2d.h"

namespace cromss::test {

struct ConvCase {
  std::string name;
  int64_t n, c, h, w, k, kh, kw;  // input (n, c, h, w), k filters of kh x kw
  Conv2dParams p;
  bool bias;
};

inline void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.name;
}

}  // namespace cromss::test
