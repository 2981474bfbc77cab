// OpenBLAS's CBLAS interface plus its threading controls (declared in cblas.h on Debian).
#include <cblas.h>
