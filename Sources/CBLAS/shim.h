// CBLAS: OpenBLAS's CBLAS interface and LAPACKE (for singular values / eigenvalues).
#ifndef INFOMAX_CBLAS_SHIM_H
#define INFOMAX_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS extensions (declared in its cblas.h, repeated here for clarity of intent).
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
