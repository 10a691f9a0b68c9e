// BenchResult: one np-<P>/bench.json of a scaling study (RunRecords' BenchReport), checked for
// what the report needs, with the figures the study's table and charts read from it.
import Foundation
import RunRecords

/// One `bench.json` of `infomax bench` (RunRecords' `BenchReport`, schema infomax-bench/1),
/// checked for what the report needs. Times are seconds per step.
public struct BenchResult {
    public static let schema = BenchReport.currentSchema
    /// The phases of a step, in the order of a step; `bench.json` has every one of them.
    /// `loss_overlapped` is loss communication hidden behind computation (ring exchange).
    public static var phaseKeys: [String] { ScalingTable.phaseKeys }

    public let url: URL
    public let report: BenchReport
    /// The file's members (sorted keys), for the settings the report shows as they are.
    public let members: JSONValue
    public var ranks: Int { report.ranks }
    public var globalBatch: Int { report.globalBatch }
    /// Samples per rank (length `ranks`).
    public var batchPerRank: [Int] { report.batchPerRank }
    /// Mean over the timed steps of the slowest rank's step time.
    public var secondsPerStep: Double { report.secondsPerStep }
    /// Max over ranks of each phase's mean time per step, by `phaseKeys`.
    public let phases: [String: Double]
    /// Each rank's own mean step time.
    public var perRankSeconds: [Double] { report.perRank.map(\.secondsPerStep) }

    /// A finite number at the top level (nil when absent or not a finite number).
    public func number(_ key: String) -> Double? { members[key]?.doubleValue.flatMap { $0.isFinite ? $0 : nil } }
    /// A setting at the top level as display text ("" when absent).
    public func text(_ key: String) -> String { members[key].map { $0 == .null ? "" : $0.displayString } ?? "" }

    public var gflopsTotal: Double? { report.gflopsTotal }
    public var gflopsPerRank: Double? { report.gflopsPerRank }
    public var sgemmPeakGflops: Double? { report.sgemmPeakGflops }
    public var fractionOfPeak: Double? { report.fractionOfPeak }
    public var bytesPerStepPerRank: Double? { Double(report.bytesPerStepPerRank) }
    public var peakRSSBytes: Double? { Double(report.peakRssBytes) }
    public var allocationsPerStep: Double? { report.allocationsPerStep }

    /// Slowest over fastest rank's step time (1 = balanced); nil without `per_rank`.
    public var rankSpread: Double? {
        guard let lo = perRankSeconds.min(), let hi = perRankSeconds.max(), lo > 0 else { return nil }
        return hi / lo
    }

    /// Reads and checks a bench.json. Throws `RecordError.missingFile` / `.malformed`, naming the file.
    public static func load(
        _ url: URL, hint: String = "expected the output of `infomax bench --output DIR`"
    ) throws -> BenchResult {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RecordError.missingFile(url, hint: hint) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RecordError.malformed(url, reason: error.localizedDescription)
        }
        func bad(_ reason: String) -> RecordError { .malformed(url, reason: reason) }
        if let schema = BenchReport.schema(of: data), schema != Self.schema {
            throw bad("schema \"\(schema)\" is not \"\(Self.schema)\", the one this report reads; "
                + "regenerate it with this version of `infomax bench`")
        }
        let report = try RecordCoding.decode(BenchReport.self, from: data, url: url)
        guard report.ranks >= 1 else { throw bad("`ranks` must be a positive whole number, found \(report.ranks)") }
        guard report.globalBatch >= 1 else {
            throw bad("`global_batch` must be a positive whole number, found \(report.globalBatch)")
        }
        guard report.secondsPerStep.isFinite, report.secondsPerStep > 0 else {
            throw bad("`seconds_per_step` must be a positive number, found \(report.secondsPerStep)")
        }
        var phases: [String: Double] = [:]
        for (key, _, v) in report.phases.named {
            guard v.isFinite, v >= 0 else { throw bad("`phases.\(key)` must be a number ≥ 0, found \(v)") }
            phases[key] = v
        }
        if !report.batchPerRank.isEmpty, report.batchPerRank.count != report.ranks {
            throw bad("`batch_per_rank` has \(report.batchPerRank.count) entries for \(report.ranks) ranks")
        }
        let members = try JSONDecoder().decode(JSONValue.self, from: RecordCoding.encoder().encode(report))
        return BenchResult(url: url, report: report, members: members,
                           phases: phases)
    }
}
