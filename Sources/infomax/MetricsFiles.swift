// MetricsFiles — the trainer's rows written as metrics.csv and metrics.jsonl (rank 0), in the
// formats of RunRecords' MetricsRow. On resume, rows past the checkpoint's step are dropped
// first, so a resumed run's files equal an uninterrupted run's.
import Foundation
import RunRecords
import Training

final class MetricsFiles: MetricsSink {
    let csv: CSVWriter
    let jsonl: JSONLinesWriter

    /// Creates the files, or (resuming at `resumeStep`) keeps the rows logged before that step.
    init(folder: URL, resumeStep: Int?) throws {
        let csvURL = folder.appendingPathComponent(MetricsRow.csvFile)
        let jsonURL = folder.appendingPathComponent(MetricsRow.jsonLinesFile)
        if let step = resumeStep {
            csv = try CSVWriter(
                appendingTo: csvURL, header: MetricsRow.header,
                keepingRows: { row in (row.number("step") ?? .infinity) < Double(step) })
            let kept =
                (try? JSONLinesWriter.read(MetricsRow.self, from: jsonURL))?.filter {
                    ($0[.step] ?? .infinity) < Double(step)
                } ?? []
            jsonl = try JSONLinesWriter(url: jsonURL, truncate: true)
            for row in kept { try jsonl.write(row.jsonObject) }
        } else {
            csv = try CSVWriter(creating: csvURL, header: MetricsRow.header)
            jsonl = try JSONLinesWriter(url: jsonURL, truncate: true)
        }
    }

    func record(_ row: MetricsRow) throws {
        try csv.write(row.csvFields)
        try jsonl.write(row.jsonObject)
    }

    func close() {
        try? csv.close()
        try? jsonl.close()
    }
}
