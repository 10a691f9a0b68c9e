// ScalingStudy: reading a scaling study — `scaling.json` (written by jobs/scaling.sh /
// jobs/scaling.sbatch) and one `np-<P>/bench.json` (BenchResult) per rank count P — and the
// derived table (speedup, efficiency, phases, rates) and its CSV, `scaling.csv`.
import Foundation
import RunRecords

/// A scaling study folder: `scaling.json` and `np-<P>/bench.json` for each rank count P.
public struct ScalingStudy {
    public static let file = ScalingManifest.file
    public static let csvFile = ScalingTable.file
    public static let schema = ScalingManifest.currentSchema

    public let url: URL
    public let kind: ScalingKind
    /// The rank counts with results, ascending.
    public let ranks: [Int]
    /// Rank counts the study's script recorded as failed (`failed` in scaling.json): not reported.
    public let failed: [Int]
    /// The `infomax bench` options every point used.
    public let benchFlags: [String]
    public let manifest: ScalingManifest
    /// One bench per entry of `ranks`.
    public let points: [BenchResult]

    /// The folder of the point at `p` ranks.
    public static func pointFolder(_ url: URL, ranks p: Int) -> URL { url.appendingPathComponent("np-\(p)") }

    /// Whether `folder` holds a scaling study (a scaling.json).
    public static func isStudy(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path)
    }

    /// Loads scaling.json and every point's bench.json. Throws `RecordError` naming the file:
    /// `.missingFile` for a point without bench.json, `.malformed` for a bad file.
    public static func load(_ url: URL) throws -> ScalingStudy {
        let file = url.appendingPathComponent(Self.file)
        let manifest = try RecordCoding.read(ScalingManifest.self, from: file,
                                             hint: "not a scaling study; run jobs/scaling.sh or jobs/scaling.sbatch, which write it")
        func bad(_ reason: String) -> RecordError { .malformed(file, reason: reason) }
        if let schema = manifest.schema, schema != Self.schema {
            throw bad("schema \"\(schema)\" is not \"\(Self.schema)\"")
        }
        guard let kindText = manifest.kind, let kind = ScalingKind(text: kindText) else {
            throw bad("`kind` must be \"strong\" or \"weak\", found \(manifest.kind ?? "nothing")")
        }
        func rankList(_ key: String, _ list: [Double]?) throws -> [Int] {
            try (list ?? []).map { x -> Int in
                guard x >= 1, x == x.rounded(), x < 1e7 else {
                    throw bad("`\(key)` must hold positive whole numbers (rank counts), found \(NumberText.display(x))")
                }
                return Int(x)
            }
        }
        let listed = try rankList("ranks", manifest.ranks)
        guard !listed.isEmpty else { throw bad("`ranks` must be a non-empty list of rank counts, e.g. [1, 2, 4]") }
        guard Set(listed).count == listed.count else { throw bad("`ranks` lists a rank count twice: \(listed)") }
        let failed = try rankList("failed", manifest.failed)
        let ranks = listed.filter { !failed.contains($0) }.sorted()
        guard !ranks.isEmpty else {
            throw bad("every rank count failed (`failed`: \(failed)); see the job log for why, then run the study again")
        }
        let flags = manifest.benchFlags ?? []
        var points: [BenchResult] = []
        for p in ranks {
            let bench = pointFolder(url, ranks: p).appendingPathComponent(BenchReport.file)
            let point = try BenchResult.load(bench, hint: "the bench at \(p) rank(s) did not write it (it failed, or is still running: see the job log); "
                + "run the study again, or remove \(p) from `ranks` in \(file.path) to report the other rank counts")
            guard point.ranks == p else {
                throw RecordError.malformed(bench, reason: "`ranks` is \(point.ranks) but the folder np-\(p) is the point at \(p) rank(s)")
            }
            points.append(point)
        }
        return ScalingStudy(url: url, kind: kind, ranks: ranks, failed: failed, benchFlags: flags, manifest: manifest, points: points)
    }

    // MARK: derived figures

    /// One rank count's figures, relative to the fewest ranks (p0).
    public struct Row {
        public let point: BenchResult
        public var ranks: Int { point.ranks }
        public let idealSecondsPerStep: Double
        public let speedup: Double
        public let efficiency: Double
        /// GFLOP/s per rank over that at p0: efficiency counted in GEMM work done, not in time.
        /// It differs from `efficiency` when the work per rank changes with the rank count, as
        /// in weak scaling of InfoNCE (each rank's similarity block is b × B, B = b·p). nil
        /// without GFLOP figures.
        public let workEfficiency: Double?
        /// Global batch / seconds per step.
        public var samplesPerSecond: Double { Double(point.globalBatch) / point.secondsPerStep }
    }

    public var rows: [Row] {
        guard let ref = points.first else { return [] }
        let p0 = Double(ref.ranks), t0 = ref.secondsPerStep
        return points.map { b in
            let p = Double(b.ranks), t = b.secondsPerStep
            var work: Double? = nil
            if let r = b.gflopsPerRank, let r0 = ref.gflopsPerRank, r0 > 0 { work = r / r0 }
            return Row(point: b, idealSecondsPerStep: kind.idealTime(p0: p0, t0: t0, p: p),
                       speedup: kind.speedup(p0: p0, t0: t0, p: p, t: t), efficiency: kind.efficiency(p0: p0, t0: t0, p: p, t: t),
                       workEfficiency: work)
        }
    }

    /// The columns of scaling.csv (times in seconds per step; phases are the slowest rank's).
    public static var csvHeader: [String] { ScalingTable.header }

    /// scaling.csv: one row per rank count; empty cells for figures a bench.json lacks.
    public func csv() -> String {
        func num(_ x: Double?) -> String { x.map { CSVField.number($0).rendered } ?? "" }
        var lines = [Self.csvHeader.joined(separator: ",")]
        for r in rows {
            let b = r.point
            let perRank: Double? = b.batchPerRank.isEmpty ? Double(b.globalBatch) / Double(b.ranks)
                : (Set(b.batchPerRank).count == 1 ? Double(b.batchPerRank[0]) : Double(b.globalBatch) / Double(b.ranks))
            var cells = [String(b.ranks), String(b.globalBatch), num(b.secondsPerStep), num(r.speedup), num(r.efficiency)]
            cells += BenchResult.phaseKeys.map { num(b.phases[$0]) }
            cells += [num(b.gflopsTotal), num(b.fractionOfPeak), num(b.bytesPerStepPerRank), num(b.peakRSSBytes),
                      num(perRank), num(r.idealSecondsPerStep), num(r.samplesPerSecond), num(b.gflopsPerRank), num(b.sgemmPeakGflops),
                      num(b.report.sgemmPeakGflopsAllRanks), num(b.rankSpread), num(b.allocationsPerStep), num(r.workEfficiency)]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
