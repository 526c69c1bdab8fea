#include "test.h"

void suite_bad(void) {}
