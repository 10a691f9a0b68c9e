// Synthetic/DataSplit.swift — the part of a data set (train, test, validation) a random stream
// belongs to, mixed into the stream's counter so that the parts never share samples.

/// Which part of a data set a stream belongs to; mixed into the counter (see CounterRNG.swift).
public enum DataSplit: String, Codable, Sendable, CaseIterable {
    case train, test, validation

    /// The 8-bit tag in counter word c2.
    @inlinable public var tag: UInt32 {
        switch self {
        case .train: return 0
        case .test: return 1
        case .validation: return 2
        }
    }
}
