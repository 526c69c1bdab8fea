#include "test.h"

void suite_idx(void) {}
