// CAllocCount/alloc_count.c — malloc interposition that counts and forwards to glibc's
// __libc_* allocator entry points (exported by glibc for exactly this use). Defined in the
// executable, these symbols take precedence over libc's for every shared library. While
// attribution is on, an allocation whose call stack passes through the MPI library's code
// (address ranges of the loaded objects named like an MPI library or one of its transports,
// recorded by imx_alloc_attribute_mpi) is also counted as MPI's, and one that passes through
// the BLAS library's (OpenBLAS's small-matrix kernels malloc a packing buffer per call) as BLAS's;
// the innermost such frame decides.
#define _GNU_SOURCE
#include "alloc_count.h"
#include <execinfo.h>
#include <link.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static volatile uint64_t counter = 0;
static volatile uint64_t mpi_counter = 0;
static volatile uint64_t blas_counter = 0;
static volatile int trace_left = 0;
static __thread int in_trace = 0;

// Executable segments of the MPI and BLAS libraries' objects: [start, end) pairs with their
// counter, filled before the attribution is switched on and only read afterwards.
enum { MAX_RANGES = 256, FRAMES = 24 };
static uintptr_t range_start[MAX_RANGES], range_end[MAX_RANGES];
static volatile uint64_t *range_counter[MAX_RANGES];
static int range_count = 0;
static volatile int attributing = 0;
static __thread int in_attribution = 0;

static volatile uint64_t *library_counter(uintptr_t a) {
    for (int i = 0; i < range_count; i++)
        if (a >= range_start[i] && a < range_end[i]) return range_counter[i];
    return NULL;
}

// Whether the allocation being made was asked for by MPI's or BLAS's code: a frame of the call
// stack (the innermost FRAMES) lies in one of their objects. backtrace() is guarded against itself.
static void attribute(void) {
    if (!attributing || in_attribution) return;
    in_attribution = 1;
    void *frames[FRAMES];
    int n = backtrace(frames, FRAMES);
    for (int i = 1; i < n; i++) {
        volatile uint64_t *library = library_counter((uintptr_t)frames[i]);
        if (library) {
            __atomic_add_fetch(library, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    in_attribution = 0;
}

static void count(void) {
    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    attribute();
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

// Names of the objects whose code counts as the MPI library's: Open MPI (libmpi, libopen-pal,
// libopen-rte, its mca_* components), MPICH and its derivatives (libmpich, libmpi_cray,
// libmpi.so of Intel MPI), and the transports and run-time layers they load.
static const char *const mpi_names[] = {
    "libmpi", "libopen-pal", "libopen-rte", "/openmpi", "mca_", "libmpich", "libucp", "libucs", "libuct",
    "libucm", "libfabric", "libpmix", "libpmi", "libhwloc", "libevent", "libpsm", "libibverbs", "libhcoll",
    "libxpmem", "libknem", "libcxi", "librdmacm"};
// Names of the BLAS libraries' objects (OpenBLAS, the reference BLAS, BLIS, MKL, FlexiBLAS).
static const char *const blas_names[] = {"libopenblas", "libblas", "libcblas", "libblis", "libmkl", "libflexiblas"};

static int named(const char *name, const char *const *names, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (strstr(name, names[i]) != NULL) return 1;
    return 0;
}

static int collect(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    const char *name = info->dlpi_name;
    if (name == NULL || name[0] == 0) return 0;
    volatile uint64_t *library = NULL;
    if (named(name, mpi_names, sizeof mpi_names / sizeof mpi_names[0])) library = &mpi_counter;
    else if (named(name, blas_names, sizeof blas_names / sizeof blas_names[0])) library = &blas_counter;
    if (library == NULL) return 0;
    for (int j = 0; j < info->dlpi_phnum && range_count < MAX_RANGES; j++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[j];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        range_start[range_count] = info->dlpi_addr + ph->p_vaddr;
        range_end[range_count] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        range_counter[range_count] = library;
        range_count++;
    }
    return 0;
}

int imx_alloc_attribute_mpi(int on) {
    if (!on) {
        attributing = 0;
        return range_count;
    }
    attributing = 0;
    range_count = 0;
    dl_iterate_phdr(collect, NULL);
    void *warm[2];
    (void)backtrace(warm, 2);  // loads the unwinder now, not inside a counted allocation
    attributing = range_count > 0;
    return range_count;
}

uint64_t imx_alloc_count_mpi(void) { return __atomic_load_n(&mpi_counter, __ATOMIC_RELAXED); }
uint64_t imx_alloc_count_blas(void) { return __atomic_load_n(&blas_counter, __ATOMIC_RELAXED); }
