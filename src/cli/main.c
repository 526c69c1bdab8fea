#include <stdio.h>

int main(void)
{
    fprintf(stderr, "pairnet: not built yet\n");
    return 1;
}
