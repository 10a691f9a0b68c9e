// MPIChecks — collectives at several ranks (owned by the MPI layer's tests).
import MPI

func mpiChecks(_ comm: Communicator) throws -> Int32 {
    let c = Checks(comm: comm, suite: "mpi")
    let s = try comm.allreduce(Int64(comm.rank + 1), op: .sum)
    c.expect(s == Int64(comm.size * (comm.size + 1) / 2), "allreduce sum of ranks+1 = \(s)")
    return c.finish()
}

/// Rank 1 (or 0 alone) aborts while the others wait in a barrier: every rank must be gone
/// within seconds and mpirun must exit non-zero. Never returns normally on success.
func abortCheck(_ comm: Communicator) throws -> Int32 {
    if comm.rank == min(1, comm.size - 1) {
        comm.abort(code: 3, message: "deliberate abort from the abort check")
    }
    try comm.barrier()
    return 0
}
