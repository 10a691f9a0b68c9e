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
#endif
