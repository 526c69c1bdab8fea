#include "test.h"

void suite_pool(void) {}
