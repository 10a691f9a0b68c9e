// LibraryAllreduceChecks — the MPI wrapper's buffer-based in-place all-reduces of a region
// (MPI_Allreduce, MPI_Iallreduce, MPI-4 MPI_Allreduce_init) and LibraryAllreduce, at several
// ranks: each sums its region only, like the array all-reduce, step after step; persistent
// collectives are offered exactly when the running library reports MPI-4 (MPICH 4 yes, Open
// MPI 4.1 no) and refused with an error otherwise. Part of the "mpi" suite.
import MPI

/// Rank `r`'s integer-valued value at index `i` (exact sums in Float at any rank count).
private func libraryValue(rank r: Int, index i: Int) -> Float { Float((i * 5 + r * 11) % 37 + r) }

func checkLibraryAllreduce(_ c: Checks) throws {
    let comm = c.comm
    let mpi4 = MPIEnvironment.standardVersion.major >= 4
    c.expect(
        MPIEnvironment.hasPersistentCollectives == mpi4,
        "persistent collectives in the header (\(MPIEnvironment.hasPersistentCollectives)) match the library's MPI \(MPIEnvironment.standardVersion)"
    )
    for n in [1, comm.size, 4099] {
        let total = n + 2
        let region = 1..<(n + 1)
        let buffer = MPIBuffer<Float>(repeating: -1, count: total)
        let library = try LibraryAllreduce(communicator: comm, buffer: buffer, range: region, op: .sum)
        let plain = try LibraryAllreduce(
            communicator: comm, buffer: buffer, range: region, op: .sum, persistent: false)
        c.expect(library.isPersistent == mpi4 && !plain.isPersistent, "LibraryAllreduce n=\(n): persistent when MPI-4")
        for round in 0..<5 {
            let mine = (0..<n).map { libraryValue(rank: comm.rank, index: $0 + round) }
            let want = try comm.allreduce(mine, op: .sum)
            buffer.assign(mine, at: 1)
            switch round {
            case 0: try comm.allreduce(inPlace: buffer, range: region, op: .sum)
            case 1: try comm.iallreduce(inPlace: buffer, range: region, op: .sum).wait()
            case 2:
                try library.start()
                while !(try library.test()) {}
            case 3:
                try plain.start()
                try plain.wait()
            default:
                try library.start()
                try library.wait()
            }
            c.expect(
                Array(buffer.array[region]) == want,
                "n=\(n) round \(round): the region's sum differs from MPI_Allreduce")
            c.expect(buffer[0] == -1 && buffer[n + 1] == -1, "n=\(n) round \(round): wrote outside the region")
        }
        c.expect(!library.isActive && !plain.isActive, "LibraryAllreduce n=\(n): still active after completing")
    }
    let buffer = MPIBuffer<Float>(repeating: 1, count: 8)
    if mpi4 {
        let request = try comm.allreduceInit(inPlace: buffer, range: 0..<8, op: .sum)
        for _ in 0..<2 {
            buffer.assign([Float](repeating: 1, count: 8))
            try request.start()
            try request.wait()
            c.expect(buffer.array == [Float](repeating: Float(comm.size), count: 8), "allreduceInit sums ones to P")
        }
    } else {
        c.expect(
            throwsInvalidArgument { _ = try comm.allreduceInit(inPlace: buffer, range: 0..<8, op: .sum) },
            "allreduceInit without MPI-4 is refused")
    }
    c.expect(
        throwsInvalidArgument { try comm.allreduce(inPlace: buffer, range: 4..<9, op: .sum) },
        "a region outside the buffer is refused")
    let busy = try LibraryAllreduce(communicator: comm, buffer: buffer, range: 0..<8, op: .sum)
    try busy.start()
    c.expect(throwsInvalidArgument { try busy.start() }, "LibraryAllreduce: a second start while active is refused")
    try busy.wait()
}
