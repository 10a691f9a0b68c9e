// Synthetic/Errors.swift — the typed errors of the Synthetic layer; every message names the
// parameter, the allowed range and the value received, so the fix is obvious.

/// An invalid model parameter, an index outside the data set, or an impossible split.
public enum SyntheticError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `model.name` must satisfy `allowed`; `got` is the offending value.
    case invalidParameter(model: String, name: String, allowed: String, got: String)
    /// Sample `index` was requested from a data set of `count` samples.
    case indexOutOfRange(model: String, index: Int, count: Int)
    /// The samples cannot be split as asked (message says what to do).
    case sharding(String)

    public var description: String {
        switch self {
        case .invalidParameter(let model, let name, let allowed, let got):
            return "\(model): \(name) must be \(allowed), got \(got)"
        case .indexOutOfRange(let model, let index, let count):
            return
                "\(model): sample index \(index) is outside 0..<\(count); ask for indices below n = \(count) or raise n"
        case .sharding(let message):
            return message
        }
    }
}

/// Throws `invalidParameter` unless `ok`.
@usableFromInline
func require(_ ok: Bool, _ model: String, _ name: String, _ allowed: String, _ got: @autoclosure () -> Any) throws {
    if !ok { throw SyntheticError.invalidParameter(model: model, name: name, allowed: allowed, got: "\(got())") }
}

/// Throws `indexOutOfRange` for any index outside 0..<n.
@usableFromInline
@_specialize(where C == [Int])
@_specialize(where C == Range<Int>)
func checkIndices<C: Collection>(_ indices: C, n: Int, model: String) throws where C.Element == Int {
    for i in indices where i < 0 || i >= n { throw SyntheticError.indexOutOfRange(model: model, index: i, count: n) }
}
