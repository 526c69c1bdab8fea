#include "test.h"

void suite_results(void) {}
