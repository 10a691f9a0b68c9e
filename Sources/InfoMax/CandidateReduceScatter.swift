// InfoMax/CandidateReduceScatter.swift — the sum reduce-scatter of the candidates' gradient that
// the all-gather loss plans end with: the MPI library's MPI_Reduce_scatter (the MPI wrapper's
// reusing form) or the project's RingReduceScatter, as ``LossReduceScatter`` says. Neither
// allocates on the Swift side after its first call with a given layout.
import MPI

/// Collective: every rank passes the same layout.
final class CandidateReduceScatter<T: MPIScalar & AdditiveArithmetic> {
    let communicator: Communicator
    private let ring: RingReduceScatter<T>?

    init(communicator: Communicator, choice: LossReduceScatter) {
        self.communicator = communicator
        ring = choice == .ring ? RingReduceScatter<T>(communicator: communicator) : nil
    }

    /// This rank's block (layout.count(rank) elements) of the sum over ranks of `values`
    /// (layout.total, global order) into `output`. The ring leaves partial sums in `values`.
    func sum(_ values: inout [T], layout: VectorLayout, into output: inout [T]) throws {
        if let ring {
            try ring.sum(&values, layout: layout, into: &output)
        } else {
            try communicator.reduceScatter(values, into: &output, layout: layout, op: .sum)
        }
    }
}
