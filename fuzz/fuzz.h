#pragma once
// What the fuzz targets share: a property that must hold, checked in every
// build type (a violated one aborts, and libFuzzer keeps the input).

#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(cond)                                                               \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
