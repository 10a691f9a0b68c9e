// InfoMax/CandidateReduceScatter.swift — the sum reduce-scatter of the candidates' gradient that
// the all-gather loss plans call at the end of a step: the MPI library's MPI_Reduce_scatter
// (through the MPI wrapper's reusing form) or the project's RingReduceScatter, as
// ``LossReduceScatter`` says. Either allocates nothing on the Swift side after its first call
// with a given layout (the library may allocate inside MPI_Reduce_scatter).
import MPI

/// Sums every rank's partials of the gathered candidates' gradient and gives each rank its own
/// block: `values` holds layout.total elements (this rank's partials, global order), `output`
/// receives layout.count(rank) elements. Collective: every rank passes the same layout.
final class CandidateReduceScatter<T: MPIScalar & AdditiveArithmetic> {
    let communicator: Communicator
    let choice: LossReduceScatter
    private let ring: RingReduceScatter<T>?

    init(communicator: Communicator, choice: LossReduceScatter) {
        self.communicator = communicator
        self.choice = choice
        ring = choice == .ring ? RingReduceScatter<T>(communicator: communicator) : nil
    }

    /// Writes this rank's block of the sum over ranks of `values` into `output` (resized to
    /// layout.count(rank)). The ring uses `values` as scratch (its other blocks hold partial
    /// sums afterwards); MPI leaves it unchanged.
    func sum(_ values: inout [T], layout: VectorLayout, into output: inout [T]) throws {
        if let ring {
            try ring.sum(&values, layout: layout, into: &output)
        } else {
            try communicator.reduceScatter(values, into: &output, layout: layout, op: .sum)
        }
    }
}
