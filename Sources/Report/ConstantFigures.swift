// ConstantFigures: the figures of a report whose values are all equal over the data (a learning
// rate, a sample count, an all-zero standard error). A chart of one says nothing; the report lists
// them in one line of text instead.
import RunRecords

/// Figures found constant over the data a report would chart, with their value.
struct ConstantFigures {
    private(set) var entries: [(key: String, value: Double)] = []

    /// The one value of `values` when they hold at least two numbers and every number is equal
    /// (missing and NaN values left out); nil otherwise. A lone value (one point, one logged row)
    /// has nothing to be equal to, and is charted.
    static func value(_ values: [Double?]) -> Double? {
        let v = values.compactMap { $0 }.filter { !$0.isNaN }
        guard v.count >= 2, let first = v.first, v.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// Records `key` when `values` are constant; returns whether they are.
    mutating func check(_ key: String, _ values: [Double?]) -> Bool {
        guard let v = Self.value(values) else { return false }
        if !entries.contains(where: { $0.key == key }) { entries.append((key, v)) }
        return true
    }

    var isEmpty: Bool { entries.isEmpty }
    var keys: [String] { entries.map(\.key) }

    /// "constant: learning_rate = 0.01, diagnostics_samples = 100", preceded by `context`.
    func line(_ context: String) -> String {
        "\(context): "
            + entries.map { "\($0.key) = \(NumberText.display($0.value, digits: 4))" }.joined(separator: ", ")
    }
}
