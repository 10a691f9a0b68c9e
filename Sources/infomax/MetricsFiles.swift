// MetricsFiles — the trainer's rows written as metrics.csv and metrics.jsonl (rank 0), through
// Report's writers. On resume, rows past the checkpoint's step are dropped first, so a
// resumed run's files equal an uninterrupted run's.
import Foundation
import Report
import Training

final class MetricsFiles: MetricsSink {
    let csv: CSVWriter
    let jsonl: JSONLinesWriter

    /// Creates the files, or (resuming at `resumeStep`) keeps the rows logged before that step.
    init(folder: URL, resumeStep: Int?) throws {
        let csvURL = folder.appendingPathComponent("metrics.csv")
        let jsonURL = folder.appendingPathComponent("metrics.jsonl")
        if let step = resumeStep {
            csv = try CSVWriter(appendingTo: csvURL, header: MetricsRow.header,
                                keepingRows: { row in (row.number("step") ?? .infinity) < Double(step) })
            let kept = (try? JSONLinesWriter.read(jsonURL))?.filter { ($0["step"]?.doubleValue ?? .infinity) < Double(step) } ?? []
            jsonl = try JSONLinesWriter(url: jsonURL, truncate: true)
            for v in kept { try jsonl.write(v) }
        } else {
            csv = try CSVWriter(creating: csvURL, header: MetricsRow.header)
            jsonl = try JSONLinesWriter(url: jsonURL, truncate: true)
        }
    }

    func record(_ row: MetricsRow) throws {
        try csv.write(MetricsFiles.csvFields(row))
        try jsonl.write(zip(MetricsRow.header, row.values).map { ($0, $1.map(JSONValue.number) ?? .null) })
    }

    /// The row's cells: `step` always an integer, `epoch` an integer where it is one (full
    /// batch: every step; mini-batch: the ends of epochs), every other column a number.
    static func csvFields(_ row: MetricsRow) -> [CSVField] {
        zip(MetricColumn.allCases, row.values).map { column, value in
            guard let value else { return .empty }
            switch column {
            case .step where value.isFinite && abs(value) < 9e15:
                return .integer(Int(value.rounded()))
            case .epoch where value.isFinite && value == value.rounded() && abs(value) < 9e15:
                return .integer(Int(value))
            default:
                return .number(value)
            }
        }
    }

    func close() {
        try? csv.close()
        try? jsonl.close()
    }
}
