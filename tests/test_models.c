#include "test.h"

void suite_models(void) {}
