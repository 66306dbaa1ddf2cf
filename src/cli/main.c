#include <stdio.h>
int main(void) { puts("rdpdoctor " RD_VERSION); return 0; }
