#include "test.h"

void suite_ops(void) {}
