// ComparisonTable: comparison.csv of a compare run — one row per modality with the figures of
// that modality's summary.json — side by side.

/// comparison.csv of a `mode = compare` run: one row per mode, the figures of its summary.json
/// (the first seven of ``RunSummary/tableFigures``, then the run's wall time as `seconds`).
public enum ComparisonTable {
    /// The file's name in the run folder.
    public static let fileName = "comparison.csv"
    private static let figures = RunSummary.tableFigures.prefix(7)
    /// The columns: mode, final_loss, train_accuracy, test_accuracy, signal_learning,
    /// noise_memorization, condition_number, subspace_alignment, seconds.
    public static let header = ["mode"] + figures.map(\.key) + ["seconds"]

    /// The row of one mode's summary (empty fields for figures it does not have).
    public static func row(_ s: RunSummary) -> [CSVField] {
        func field(_ x: Double?) -> CSVField { x.map(CSVField.number) ?? .empty }
        return [.text(s.mode.rawValue)] + figures.map { field(s[keyPath: $0.value]) } + [field(s.wallSeconds)]
    }
}
