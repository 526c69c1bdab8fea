#include "test.h"

void suite_graph(void) {}
