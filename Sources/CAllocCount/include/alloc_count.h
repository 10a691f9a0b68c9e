// CAllocCount/alloc_count.h — counts heap allocations of the whole process (Swift, OpenBLAS,
// Open MPI alike) by interposing malloc & co. in the executable that links this target and
// forwarding to glibc's own allocator. `infomax bench` uses it to show that a training step
// allocates nothing after warm-up. A counter that never moves means interposition did not
// take effect: call imx_alloc_self_test() before trusting a zero.
#ifndef INFOMAX_ALLOC_COUNT_H
#define INFOMAX_ALLOC_COUNT_H
#include <stdint.h>

/// Allocation calls (malloc, calloc, realloc, aligned variants) since the process started.
uint64_t imx_alloc_count(void);
/// 1 if an allocation made right now is seen by the counter (interposition works), else 0.
int imx_alloc_self_test(void);
/// While > 0, each counted allocation also prints a short backtrace to stderr (diagnosis:
/// "who allocates in the step?"). At most `limit` traces are printed.
void imx_alloc_trace(int limit);
/// on = 1: records where the loaded MPI and BLAS libraries' code lies (call after MPI_Init, when
/// MPI's components are loaded) and from now on also counts, in imx_alloc_count_mpi() or
/// imx_alloc_count_blas(), every allocation whose call stack passes through it (the innermost
/// such frame decides); returns how many code ranges it found (0: none, nothing is
/// attributed). on = 0 stops the attribution.
int imx_alloc_attribute_mpi(int on);
/// Allocations attributed to the MPI library while attribution was on (a part of imx_alloc_count()).
uint64_t imx_alloc_count_mpi(void);
/// Allocations attributed to the BLAS library while attribution was on (a part of imx_alloc_count()).
uint64_t imx_alloc_count_blas(void);
#endif
