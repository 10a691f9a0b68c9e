// mpi-consumer — an all-reduce through InfoMaxMPI's MPI library, from another package: every
// rank contributes [rank, 1]; the sum must be [0 + 1 + … + (n − 1), n] on every rank.
import MPI

do {
    try MPIEnvironment.initialize()
    let world = try Communicator.world()
    let sum = try world.allreduce([Int64(world.rank), 1], op: .sum)
    let n = Int64(world.size)
    guard sum == [n * (n - 1) / 2, n] else {
        world.abort(code: 1, message: "allreduce gave \(sum), expected [\(n * (n - 1) / 2), \(n)]")
    }
    if world.isRoot { print("mpi-consumer: allreduce over \(world.size) ranks = \(sum)") }
    MPIEnvironment.exit(0)
} catch {
    print("mpi-consumer: \(error)")
    MPIEnvironment.exit(1)
}
