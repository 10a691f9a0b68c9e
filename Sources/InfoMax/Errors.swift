// InfoMax/Errors.swift — the errors of the InfoMax layer.

/// An error from an encoder or a loss; the message says what to change.
public enum InfoMaxError: Error, CustomStringConvertible, Equatable {
    /// Two operands' shapes do not fit together.
    case shapeMismatch(String)
    /// The negative set `.oppositeLabel` needs one label per sample and none (or too few) were given.
    case missingLabels(String)
    /// An option is out of range (a non-positive temperature, a zero patch count…).
    case invalidOption(String)
    /// Another rank reported an invalid input, so every rank stops the collective call.
    case remoteRankFailed(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let s): return "shape mismatch: \(s)"
        case .missingLabels(let s): return "missing labels: \(s)"
        case .invalidOption(let s): return "invalid option: \(s)"
        case .remoteRankFailed(let s): return "another rank failed: \(s)"
        }
    }
}
