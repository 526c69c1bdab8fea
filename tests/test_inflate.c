#include "test.h"

void suite_inflate(void) {}
