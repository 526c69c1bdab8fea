#include "test.h"

void suite_train(void) {}
