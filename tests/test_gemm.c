#include "test.h"

void suite_gemm(void) {}
