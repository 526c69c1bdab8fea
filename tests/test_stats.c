#include "test.h"

void suite_stats(void) {}
