// Training/GradientAllreduce.swift — which all-reduce sums the encoders' gradients over ranks
// (the config key gradient.allreduce): the MPI library's collective or the project's own ring.

/// How the trainer's ``GradientExchange`` sums the gradient over ranks.
public enum GradientAllreduce: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// The MPI library's all-reduce (MPI-4 persistent `MPI_Allreduce_init` where the library
    /// has it, else `MPI_Iallreduce`, for an encoder overlapped with the next one's backward;
    /// `MPI_Allreduce` for the part that completes the gradient): the library picks its
    /// algorithm for the machine (recursive doubling, Rabenseifner, node-aware, offload), and
    /// so the order of the sum. Equal at every rank count to float rounding, bit for bit at 1
    /// and 2 ranks.
    case mpi
    /// The project's own ring (reduce-scatter + all-gather on persistent point-to-point
    /// requests): 2(P − 1) latency terms, allocation-free inside Open MPI too, and each chunk
    /// summed in ring order.
    case ring
}
