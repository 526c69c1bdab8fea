#include "test.h"

void suite_mnist(void) {}
