// Training/Problems/StepClock.swift — wall-clock laps of a training step (MPI_Wtime).
import MPI

/// Wall-clock laps.
struct StepClock {
    let comm: Communicator
    var last: Double
    init(_ comm: Communicator) { self.comm = comm; last = comm.wtime() }
    mutating func lap() -> Double { let now = comm.wtime(); defer { last = now }; return now - last }
}
