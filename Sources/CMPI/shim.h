// CMPI: the C MPI library for Swift, Open MPI or an MPICH-derived one (Package.swift picks which
// by INFOMAX_MPI). Open MPI defines its predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM,
// MPI_IN_PLACE, ...) as macros over the addresses of global structs, MPICH as integer or cast
// constants; Swift imports neither, so these static inline accessors expose them, the same
// API over both. The large-count calls (MPI-4, `_c`) are wrapped likewise: cmpi_has_large_count()
// says whether the library has them (MPICH 4 does, Open MPI 4.1 does not); without them the
// wrappers return MPI_ERR_OTHER and the Swift layer chunks instead of calling them.
#ifndef INFOMAX_CMPI_SHIM_H
#define INFOMAX_CMPI_SHIM_H
#include <mpi.h>
#include <stdint.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm cmpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cmpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype cmpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }

static inline MPI_Op cmpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_op_min(void) { return MPI_MIN; }
static inline MPI_Op cmpi_op_lor(void) { return MPI_LOR; }

static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request cmpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int cmpi_undefined(void) { return MPI_UNDEFINED; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline int cmpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_err_other(void) { return MPI_ERR_OTHER; }
// Error classes differ between libraries (MPI_ERR_TRUNCATE is 15 in Open MPI, 14 in MPICH).
static inline int cmpi_err_tag(void) { return MPI_ERR_TAG; }
static inline int cmpi_err_truncate(void) { return MPI_ERR_TRUNCATE; }
static inline int cmpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info cmpi_info_null(void) { return MPI_INFO_NULL; }

/// Which library the header belongs to: 1 Open MPI, 2 MPICH (or one built on it), 0 another.
static inline int cmpi_library_family(void) {
#if defined(OMPI_MAJOR_VERSION)
    return 1;
#elif defined(MPICH_VERSION)
    return 2;
#else
    return 0;
#endif
}

// MARK: large counts (MPI-4 `_c` calls: MPI_Count counts, MPI_Aint displacements)

#if MPI_VERSION >= 4
static inline int cmpi_has_large_count(void) { return 1; }
static inline int cmpi_allreduce_c(const void *s, void *r, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
    return MPI_Allreduce_c(s, r, (MPI_Count)n, t, op, c);
}
static inline int cmpi_bcast_c(void *b, int64_t n, MPI_Datatype t, int root, MPI_Comm c) {
    return MPI_Bcast_c(b, (MPI_Count)n, t, root, c);
}
static inline int cmpi_allgather_c(const void *s, int64_t n, void *r, MPI_Datatype t, MPI_Comm c) {
    return MPI_Allgather_c(s, (MPI_Count)n, t, r, (MPI_Count)n, t, c);
}
static inline int cmpi_allgatherv_c(const void *s, int64_t n, void *r, const int64_t *counts,
                                    const int64_t *displacements, MPI_Datatype t, MPI_Comm c) {
    return MPI_Allgatherv_c(s, (MPI_Count)n, t, r, (const MPI_Count *)counts, (const MPI_Aint *)displacements, t, c);
}
static inline int cmpi_gather_c(const void *s, int64_t n, void *r, MPI_Datatype t, int root, MPI_Comm c) {
    return MPI_Gather_c(s, (MPI_Count)n, t, r, (MPI_Count)n, t, root, c);
}
static inline int cmpi_gatherv_c(const void *s, int64_t n, void *r, const int64_t *counts,
                                 const int64_t *displacements, MPI_Datatype t, int root, MPI_Comm c) {
    return MPI_Gatherv_c(s, (MPI_Count)n, t, r, (const MPI_Count *)counts, (const MPI_Aint *)displacements, t, root, c);
}
static inline int cmpi_reduce_scatter_c(const void *s, void *r, const int64_t *counts, MPI_Datatype t, MPI_Op op,
                                        MPI_Comm c) {
    return MPI_Reduce_scatter_c(s, r, (const MPI_Count *)counts, t, op, c);
}
static inline int cmpi_iallreduce_c(void *buffer, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request *r) {
    return MPI_Iallreduce_c(MPI_IN_PLACE, buffer, (MPI_Count)n, t, op, c, r);
}
static inline int cmpi_allreduce_init_c(void *buffer, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c,
                                        MPI_Request *r) {
    return MPI_Allreduce_init_c(MPI_IN_PLACE, buffer, (MPI_Count)n, t, op, c, MPI_INFO_NULL, r);
}
#else
static inline int cmpi_has_large_count(void) { return 0; }
static inline int cmpi_allreduce_c(const void *s, void *r, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_bcast_c(void *b, int64_t n, MPI_Datatype t, int root, MPI_Comm c) { return MPI_ERR_OTHER; }
static inline int cmpi_allgather_c(const void *s, int64_t n, void *r, MPI_Datatype t, MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_allgatherv_c(const void *s, int64_t n, void *r, const int64_t *counts,
                                    const int64_t *displacements, MPI_Datatype t, MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_gather_c(const void *s, int64_t n, void *r, MPI_Datatype t, int root, MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_gatherv_c(const void *s, int64_t n, void *r, const int64_t *counts,
                                 const int64_t *displacements, MPI_Datatype t, int root, MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_reduce_scatter_c(const void *s, void *r, const int64_t *counts, MPI_Datatype t, MPI_Op op,
                                        MPI_Comm c) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_iallreduce_c(void *buffer, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request *r) {
    return MPI_ERR_OTHER;
}
static inline int cmpi_allreduce_init_c(void *buffer, int64_t n, MPI_Datatype t, MPI_Op op, MPI_Comm c,
                                        MPI_Request *r) {
    return MPI_ERR_OTHER;
}
#endif

// MARK: persistent collectives (MPI-4 MPI_Allreduce_init)

// Decided when the header is compiled: MPI-4 defines MPI_Allreduce_init (MPICH 4 has it); Open
// MPI 4.1 (MPI 3.1) has only MPIX_Allreduce_init in an optional extension, which is not used.
#if MPI_VERSION >= 4
static inline int cmpi_has_persistent_collectives(void) { return 1; }
static inline int cmpi_allreduce_init(void *buffer, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request *r) {
    return MPI_Allreduce_init(MPI_IN_PLACE, buffer, n, t, op, c, MPI_INFO_NULL, r);
}
#else
static inline int cmpi_has_persistent_collectives(void) { return 0; }
static inline int cmpi_allreduce_init(void *buffer, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request *r) {
    return MPI_ERR_OTHER;
}
#endif

#endif
