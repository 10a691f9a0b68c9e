// Reading a scaling study: `scaling.json` (written by jobs/scaling.sh / jobs/scaling.sbatch)
// and one `np-<P>/bench.json` (from `infomax bench --output`) per rank count P; the derived
// table (speedup, efficiency, phases, rates) and its CSV, `scaling.csv`.
import Foundation

/// One `bench.json` of `infomax bench` (schema infomax-bench/1). Times are seconds per step.
public struct BenchResult {
    public static let schemaPrefix = "infomax-bench/"
    public static let schema = "infomax-bench/1"
    /// The phases of a step, in the order of a step; `bench.json` has every one of them.
    /// `loss_overlapped` is loss communication hidden behind computation (ring exchange).
    public static let phaseKeys = ["data", "forward", "loss_compute", "loss_communication", "loss_overlapped",
                                   "backward", "allreduce", "optimizer"]

    public let url: URL
    public let json: JSONValue
    public let ranks: Int
    public let globalBatch: Int
    /// Samples per rank (length `ranks` when given).
    public let batchPerRank: [Int]
    /// Mean over the timed steps of the slowest rank's step time.
    public let secondsPerStep: Double
    /// Max over ranks of each phase's mean time per step, by `phaseKeys`.
    public let phases: [String: Double]
    /// Each rank's own mean step time (from `per_rank`; empty when absent).
    public let perRankSeconds: [Double]

    /// A number at the top level (nil when absent, null or not a number).
    public func number(_ key: String) -> Double? { json[key]?.doubleValue.flatMap { $0.isFinite ? $0 : nil } }
    /// A setting at the top level as display text ("" when absent).
    public func text(_ key: String) -> String { json[key].map { $0 == .null ? "" : $0.displayString } ?? "" }

    public var gflopsTotal: Double? { number("gflops_total") }
    public var gflopsPerRank: Double? { number("gflops_per_rank") }
    public var sgemmPeakGflops: Double? { number("sgemm_peak_gflops") }
    public var fractionOfPeak: Double? { number("fraction_of_peak") }
    public var bytesPerStepPerRank: Double? { number("bytes_per_step_per_rank") }
    public var peakRSSBytes: Double? { number("peak_rss_bytes") }
    public var allocationsPerStep: Double? { number("allocations_per_step") }

    /// Slowest over fastest rank's step time (1 = balanced); nil without `per_rank`.
    public var rankSpread: Double? {
        guard let lo = perRankSeconds.min(), let hi = perRankSeconds.max(), lo > 0 else { return nil }
        return hi / lo
    }

    /// Reads and checks a bench.json. Throws `ReportError.missingFile` / `.malformed`, naming the file.
    public static func load(_ url: URL, hint: String = "expected the output of `infomax bench --output DIR`") throws -> BenchResult {
        let json = try JSONValue.read(url, hint: hint)
        func bad(_ reason: String) -> ReportError { .malformed(url, reason: reason) }
        guard case .object = json else { throw bad("expected a JSON object (the bench.json of `infomax bench --output`)") }
        guard let schema = json["schema"]?.stringValue else { throw bad("no `schema` key; expected \"\(Self.schema)\"") }
        guard schema == Self.schema else {
            throw bad("schema \"\(schema)\" is not \"\(Self.schema)\", the one this report reads; regenerate it with this version of `infomax bench`")
        }
        func count(_ key: String) throws -> Int {
            guard let v = json[key]?.doubleValue, v.isFinite, v >= 1, v == v.rounded() else {
                throw bad("`\(key)` must be a positive whole number, found \(json[key]?.displayString ?? "nothing")")
            }
            return Int(v)
        }
        let ranks = try count("ranks")
        let globalBatch = try count("global_batch")
        guard let t = json["seconds_per_step"]?.doubleValue, t.isFinite, t > 0 else {
            throw bad("`seconds_per_step` must be a positive number, found \(json["seconds_per_step"]?.displayString ?? "nothing")")
        }
        guard case .object? = json["phases"] else { throw bad("no `phases` object (seconds per step of \(phaseKeys.joined(separator: ", ")))") }
        var phases: [String: Double] = [:]
        for key in phaseKeys {
            guard let v = json["phases"]?[key]?.doubleValue, v.isFinite, v >= 0 else {
                throw bad("`phases.\(key)` must be a number ≥ 0, found \(json["phases"]?[key]?.displayString ?? "nothing")")
            }
            phases[key] = v
        }
        let batches = (json["batch_per_rank"]?.arrayValue ?? []).compactMap { $0.doubleValue }.map { Int($0) }
        if !batches.isEmpty, batches.count != ranks {
            throw bad("`batch_per_rank` has \(batches.count) entries for \(ranks) ranks")
        }
        let perRank = (json["per_rank"]?.arrayValue ?? []).compactMap { $0["seconds_per_step"]?.doubleValue }
        return BenchResult(url: url, json: json, ranks: ranks, globalBatch: globalBatch, batchPerRank: batches,
                           secondsPerStep: t, phases: phases, perRankSeconds: perRank)
    }
}

/// A scaling study folder: `scaling.json` and `np-<P>/bench.json` for each rank count P.
public struct ScalingStudy {
    public static let file = "scaling.json"
    public static let csvFile = "scaling.csv"
    public static let schema = "infomax-scaling/1"

    public let url: URL
    public let kind: ScalingKind
    /// The rank counts with results, ascending.
    public let ranks: [Int]
    /// Rank counts the study's script recorded as failed (`failed` in scaling.json): not reported.
    public let failed: [Int]
    /// The `infomax bench` options every point used.
    public let benchFlags: [String]
    public let manifest: JSONValue
    /// One bench per entry of `ranks`.
    public let points: [BenchResult]

    /// The folder of the point at `p` ranks.
    public static func pointFolder(_ url: URL, ranks p: Int) -> URL { url.appendingPathComponent("np-\(p)") }

    /// Whether `folder` holds a scaling study (a scaling.json).
    public static func isStudy(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path)
    }

    /// Loads scaling.json and every point's bench.json. Throws `ReportError` naming the file:
    /// `.missingFile` for a point without bench.json, `.malformed` for a bad file.
    public static func load(_ url: URL) throws -> ScalingStudy {
        let file = url.appendingPathComponent(Self.file)
        let manifest = try JSONValue.read(file, hint: "not a scaling study; run jobs/scaling.sh or jobs/scaling.sbatch, which write it")
        func bad(_ reason: String) -> ReportError { .malformed(file, reason: reason) }
        guard case .object = manifest else { throw bad("expected a JSON object {\"schema\", \"kind\", \"ranks\", \"bench_flags\"}") }
        if let schema = manifest["schema"]?.stringValue, schema != Self.schema {
            throw bad("schema \"\(schema)\" is not \"\(Self.schema)\"")
        }
        guard let kindText = manifest["kind"]?.stringValue, let kind = ScalingKind(text: kindText) else {
            throw bad("`kind` must be \"strong\" or \"weak\", found \(manifest["kind"]?.displayString ?? "nothing")")
        }
        func rankList(_ key: String) throws -> [Int] {
            guard let list = manifest[key]?.arrayValue else { return [] }
            return try list.map { v -> Int in
                guard let x = v.doubleValue, x >= 1, x == x.rounded(), x < 1e7 else {
                    throw bad("`\(key)` must hold positive whole numbers (rank counts), found \(v.displayString)")
                }
                return Int(x)
            }
        }
        let listed = try rankList("ranks")
        guard !listed.isEmpty else { throw bad("`ranks` must be a non-empty list of rank counts, e.g. [1, 2, 4]") }
        guard Set(listed).count == listed.count else { throw bad("`ranks` lists a rank count twice: \(listed)") }
        let failed = try rankList("failed")
        let ranks = listed.filter { !failed.contains($0) }.sorted()
        guard !ranks.isEmpty else {
            throw bad("every rank count failed (`failed`: \(failed)); see the job log for why, then run the study again")
        }
        let flags = (manifest["bench_flags"]?.arrayValue ?? []).map(\.displayString)
        var points: [BenchResult] = []
        for p in ranks {
            let bench = pointFolder(url, ranks: p).appendingPathComponent("bench.json")
            let point = try BenchResult.load(bench, hint: "the bench at \(p) rank(s) did not write it (it failed, or is still running: see the job log); "
                + "run the study again, or remove \(p) from `ranks` in \(file.path) to report the other rank counts")
            guard point.ranks == p else {
                throw ReportError.malformed(bench, reason: "`ranks` is \(point.ranks) but the folder np-\(p) is the point at \(p) rank(s)")
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
    public static let csvHeader = ["ranks", "global_batch", "seconds_per_step", "speedup", "efficiency"]
        + BenchResult.phaseKeys.map { $0 + "_seconds" }
        + ["gflops_total", "fraction_of_peak", "bytes_per_step_per_rank", "peak_rss_bytes",
           "batch_per_rank", "ideal_seconds_per_step", "samples_per_second", "gflops_per_rank", "sgemm_peak_gflops",
           "sgemm_peak_gflops_all_ranks", "rank_time_spread", "allocations_per_step", "work_efficiency"]

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
                      num(b.number("sgemm_peak_gflops_all_ranks")), num(b.rankSpread), num(b.allocationsPerStep), num(r.workEfficiency)]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `<folder>/scaling.csv` atomically; returns its URL.
    @discardableResult
    public func writeCSV() throws -> URL {
        let out = url.appendingPathComponent(Self.csvFile)
        try AtomicFile.write(Data(csv().utf8), to: out)
        return out
    }
}
