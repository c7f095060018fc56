#ifndef IRPO_CBLAS_SHIM_H
#define IRPO_CBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS thread control (declared in OpenBLAS's cblas.h; repeated here for clarity). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
