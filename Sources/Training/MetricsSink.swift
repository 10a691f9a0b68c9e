// Training/MetricsSink.swift — the protocol through which the trainer hands its rows
// (`MetricsRow`, defined with the file formats in RunRecords) to writers (the CLI plugs in
// the CSV / JSON-lines writers).
import RunRecords

/// Where the trainer's rows go (rank 0 only).
public protocol MetricsSink: AnyObject {
    func record(_ row: MetricsRow) throws
}
