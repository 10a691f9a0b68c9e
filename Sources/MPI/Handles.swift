// MPI/Handles.swift — the one place that knows how the C library's handles look in Swift.
// Open MPI's MPI_Comm / MPI_Request are pointers, imported as optionals where they are
// out-parameters; MPICH's (and Cray MPICH's, Intel MPI's) are ints. Package.swift defines
// MPI_INTEGER_HANDLES for the latter; the rest of the layer uses these names only.
import CMPI

#if MPI_INTEGER_HANDLES
    /// Where an MPI call writes a new communicator.
    typealias CommunicatorSlot = MPI_Comm
    /// Where an MPI call writes, and later completes, a request.
    typealias RequestSlot = MPI_Request
#else
    /// Where an MPI call writes a new communicator.
    typealias CommunicatorSlot = MPI_Comm?
    /// Where an MPI call writes, and later completes, a request.
    typealias RequestSlot = MPI_Request?
#endif

/// The communicator an MPI call wrote into `slot`; nil for MPI_COMM_NULL.
func madeCommunicator(_ slot: CommunicatorSlot) -> MPI_Comm? {
    slot == cmpi_comm_null() ? nil : slot
}
