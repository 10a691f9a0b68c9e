// CAllocCount/alloc_count.c — malloc interposition that counts and forwards to glibc's
// __libc_* allocator entry points (exported by glibc for exactly this use). Defined in the
// executable, these symbols take precedence over libc's for every shared library.
#define _GNU_SOURCE
#include "alloc_count.h"
#include <execinfo.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile uint64_t counter = 0;
static volatile int trace_left = 0;
static __thread int in_trace = 0;

static void count(void) {
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    if (trace_left > 0 && !in_trace) {
        in_trace = 1;
        trace_left--;
        void *frames[14];
        int n = backtrace(frames, 14);
        static const char line[] = "---- allocation in a measured step:\n";
        (void)!write(2, line, sizeof line - 1);
        backtrace_symbols_fd(frames + 2, n > 2 ? n - 2 : 0, 2);
        in_trace = 0;
    }
}

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return 22; // EINVAL
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return 12; // ENOMEM
    *out = p;
    return 0;
}

uint64_t imx_alloc_count(void) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }

int imx_alloc_self_test(void) {
    uint64_t before = imx_alloc_count();
    char *volatile p = strdup("allocation self-test");  // glibc allocates through the interposed malloc
    free(p);
    return imx_alloc_count() > before;
}

void imx_alloc_trace(int limit) { trace_left = limit; }
