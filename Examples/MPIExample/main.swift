// mpi-example — the MPI library in a dozen lines: every rank all-reduces its rank number and
// passes a value once around a ring. Run it under mpirun, e.g.
//   swift build --product mpi-example
//   mpirun -np 4 .build/debug/mpi-example
import MPI

do {
    try MPIEnvironment.initialize()
    let world = try Communicator.world()

    // All-reduce: every rank contributes its rank; every rank gets 0 + 1 + … + (size − 1).
    let sum = try world.allreduce(Int64(world.rank), op: .sum)

    // Ring: send to the right neighbour, receive from the left one, in one call (no deadlock).
    let right = (world.rank + 1) % world.size
    let left = (world.rank + world.size - 1) % world.size
    let received: [Int64] = try world.sendrecv([Int64(world.rank * 10)], to: right, receiveCount: 1, from: left)

    print("rank \(world.rank) of \(world.size): allreduce sum \(sum), from rank \(left) received \(received[0])")
    let ok = sum == Int64(world.size * (world.size - 1) / 2) && received == [Int64(left * 10)]
    MPIEnvironment.exit(ok ? 0 : 1)
} catch {
    print("mpi-example: \(error)")
    MPIEnvironment.exit(1)
}
