#include "test.h"

void suite_optim(void) {}
