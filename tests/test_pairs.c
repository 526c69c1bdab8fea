#include "test.h"

void suite_pairs(void) {}
