// MPI/Datatypes.swift — which Swift element types travel through collectives (MPIScalar) and
// how a count becomes MPI's int; the mapping to MPI's predefined handles stays inside this module.
import CMPI

/// The element kinds a collective can carry.
public enum MPIScalarKind: Sendable {
    case float, double, int32, int64, uint8, uint64

    var datatype: MPI_Datatype {
        switch self {
        case .float: return cmpi_float()
        case .double: return cmpi_double()
        case .int32: return cmpi_int32()
        case .int64: return cmpi_int64()
        case .uint8: return cmpi_uint8()
        case .uint64: return cmpi_uint64()
        }
    }
}

/// A fixed-size value type that MPI can send, receive and reduce.
public protocol MPIScalar: BitwiseCopyable, Sendable {
    /// The MPI datatype this Swift type corresponds to.
    static var mpiKind: MPIScalarKind { get }
}

extension Float: MPIScalar { public static var mpiKind: MPIScalarKind { .float } }
extension Double: MPIScalar { public static var mpiKind: MPIScalarKind { .double } }
extension Int32: MPIScalar { public static var mpiKind: MPIScalarKind { .int32 } }
extension Int64: MPIScalar { public static var mpiKind: MPIScalarKind { .int64 } }
extension UInt8: MPIScalar { public static var mpiKind: MPIScalarKind { .uint8 } }
extension UInt64: MPIScalar { public static var mpiKind: MPIScalarKind { .uint64 } }

/// Converts a Swift count to MPI's `int`, refusing what does not fit.
@inline(__always)
func mpiCount(_ n: Int, _ function: String) throws -> Int32 {
    guard n >= 0, n <= Int(Int32.max) else {
        throw MPIError.invalidArgument("\(function): count \(n) does not fit MPI's int; split the message into smaller pieces.")
    }
    return Int32(n)
}
