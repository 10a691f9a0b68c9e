// MPI/ReductionOp.swift — the element-wise reductions a collective applies across ranks, and
// their MPI handles.
import CMPI

/// A reduction applied element-wise across ranks.
public enum ReductionOp: Sendable {
    case sum, max, min

    var handle: MPI_Op {
        switch self {
        case .sum: return cmpi_op_sum()
        case .max: return cmpi_op_max()
        case .min: return cmpi_op_min()
        }
    }
}
