#include "test.h"

void suite_cli(void) {}
