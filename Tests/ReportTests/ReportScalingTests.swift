// Tests of the scaling-study report: fixture bench.json files (the schema of `infomax bench
// --output`) at several rank counts, strong and weak; efficiency and speedup figures,
// scaling.csv, the charts, and errors that name the bad file.
import Foundation
import RunRecords
import XCTest

@testable import Report

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Writes scaling-study folders like jobs/scaling.sh does.
enum ScalingFixtures {
    /// A bench.json (every key of RunRecords' BenchReport) at `ranks` ranks with step time `seconds`; the phases split it (compute
    /// 80 %, communication 20 %) and the rates follow from a fixed FLOP count per step.
    static func bench(
        ranks: Int, globalBatch: Int, seconds: Double, d: Int = 2048, width: Int = 256,
        batchPerRank: [Int]? = nil
    ) -> JSONValue {
        let flop = 120.0  // GFLOP per step
        let batches = batchPerRank ?? Array(repeating: globalBatch / ranks, count: ranks)
        func phases(_ scale: Double) -> JSONValue {
            [
                "data": .number(0.02 * seconds * scale), "forward": .number(0.2 * seconds * scale),
                "loss_compute": .number(0.15 * seconds * scale), "loss_communication": .number(0.05 * seconds * scale),
                "loss_overlapped": 0, "backward": .number(0.4 * seconds * scale),
                "allreduce": .number(0.15 * seconds * scale),
                "optimizer": .number(0.03 * seconds * scale),
            ]
        }
        let perRank: [JSONValue] = (0..<ranks).map { r in
            [
                "rank": .number(Double(r)), "host": "n1", "batch": .number(Double(batches[r])),
                "seconds_per_step": .number(seconds * (r == 0 ? 1 : 0.95)), "phases": phases(r == 0 ? 1 : 0.95),
                "peak_rss_bytes": .number(5e8 / Double(ranks) + 5e7),
                "bytes_per_step": .number(Double(ranks - 1) * 1e7),
                "allocations_per_step": 0, "sgemm_peak_gflops": 90,
            ]
        }
        return [
            "schema": "infomax-bench/1", "ranks": .number(Double(ranks)), "global_batch": .number(Double(globalBatch)),
            "batch_per_rank": .array(batches.map { .number(Double($0)) }), "d": .number(Double(d)),
            "width": .number(Double(width)),
            "train_samples": .number(Double(globalBatch)), "model": "signal-noise", "loss": "infonce",
            "symmetric": true, "stop_gradient": true,
            "patches": 2, "mode": "multi-modal", "exchange": "allgather", "steps": 10, "warmup": 2,
            "openblas_threads": 1,
            "sgemm_peak_gflops_all_ranks": 85,
            "estimated_peak_bytes_per_rank": .array((0..<ranks).map { _ in .number(5e8 / Double(ranks) + 6e7) }),
            "seconds_per_step": .number(seconds), "phases": phases(1),
            "gflop_per_step": .number(flop), "gflops_per_rank": .number(flop / seconds / Double(ranks)),
            "gflops_total": .number(flop / seconds),
            "sgemm_peak_gflops": 90, "fraction_of_peak": .number(flop / seconds / Double(ranks) / 90),
            "bytes_per_step_per_rank": .number(Double(ranks - 1) * 1e7),
            "peak_rss_bytes": .number(5e8 / Double(ranks) + 5e7),
            "allocations_per_step": 0, "per_rank": .array(perRank),
        ]
    }

    /// A study at `ranks` with step times `seconds`; strong keeps the global batch at 4096,
    /// weak keeps 2048 per rank.
    static func write(
        at url: URL, kind: String, ranks: [Int], seconds: [Double], failed: [Int] = [],
        edit: (Int, inout JSONValue) -> Void = { _, _ in }
    ) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var manifest: JSONValue = [
            "schema": "infomax-scaling/1", "kind": .string(kind), "ranks": .array(ranks.map { .number(Double($0)) }),
            "bench_flags": kind == "strong"
                ? ["--d", "2048", "--width", "256", "--batch", "4096"]
                : ["--d", "2048", "--width", "256", "--batch-per-rank", "2048"],
        ]
        if !failed.isEmpty, case .object(var m) = manifest {
            m.append((key: "failed", value: .array(failed.map { .number(Double($0)) })))
            manifest = .object(m)
        }
        try AtomicFile.write(manifest.serialized(), to: url.appendingPathComponent("scaling.json"))
        for (p, t) in zip(ranks, seconds) where !failed.contains(p) {
            let folder = url.appendingPathComponent("np-\(p)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var json = bench(ranks: p, globalBatch: kind == "strong" ? 4096 : 2048 * p, seconds: t)
            edit(p, &json)
            try AtomicFile.write(json.serialized(), to: folder.appendingPathComponent("bench.json"))
        }
    }
}

extension JSONValue {
    /// Sets (or adds) a top-level key of an object.
    mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var m) = self else { return }
        if let i = m.firstIndex(where: { $0.key == key }) {
            m[i].value = value
        } else {
            m.append((key: key, value: value))
        }
        self = .object(m)
    }
}

final class ReportScalingTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try ReportScratch.make("report-scaling") }

    /// Set REPORT_KEEP_FIXTURES=1 to keep the fixture folders and reports.
    override func tearDownWithError() throws { ReportScratch.remove(dir) }

    /// The titles of the report's inline SVGs, checking each is well-formed XML.
    private func chartTitles(_ html: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        SVGInspector.chartTitles(in: html, file: file, line: line)
    }

    private func rows(_ t: CSVTable) -> [CSVTable.Row] { (0..<t.rows.count).map(t.row) }

    private func column(_ t: CSVTable, _ name: String) -> [Double] { (t.numbers(name) ?? []).map { $0 ?? .nan } }

    static let expectedCharts = [
        "Time per step vs ranks", "Parallel efficiency vs ranks", "Phases of a step per rank count",
        "Phase time vs ranks", "GFLOP/s per rank vs the sgemm peak", "Memory and communication per rank",
    ]

    func testScalingKindFormulas() {
        XCTAssertEqual(ScalingKind.strong.efficiency(p0: 1, t0: 1, p: 4, t: 0.4), 0.625, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.strong.efficiency(p0: 2, t0: 0.8, p: 8, t: 0.3), 1.6 / 2.4, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.weak.efficiency(p0: 1, t0: 0.5, p: 4, t: 0.625), 0.8, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.strong.speedup(p0: 1, t0: 1, p: 4, t: 0.4), 2.5, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.weak.speedup(p0: 1, t0: 0.5, p: 4, t: 0.625), 3.2, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.strong.idealTime(p0: 2, t0: 0.8, p: 8), 0.2, accuracy: 1e-12)
        XCTAssertEqual(ScalingKind.weak.idealTime(p0: 2, t0: 0.8, p: 8), 0.8)
        XCTAssertEqual(ScalingKind(text: "Weak"), .weak)
        XCTAssertNil(ScalingKind(text: "medium"))
    }

    func testStrongScalingReportAndCSV() throws {
        let study = dir.appendingPathComponent("strong")
        try ScalingFixtures.write(at: study, kind: "strong", ranks: [1, 2, 4], seconds: [1.0, 0.6, 0.4])
        let out = try writeReport(for: study)
        XCTAssertEqual(out.lastPathComponent, "report.html")
        let html = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(chartTitles(html), Self.expectedCharts)
        XCTAssertTrue(html.contains("Scaling report — strong"))
        XCTAssertTrue(
            html.contains("Strong scaling, global batch 4096 fixed; 1, 2, 4 ranks"), "overview names the fixed problem")
        XCTAssertTrue(html.contains("--batch 4096"), "settings list the bench flags")
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("class=\"note\""), "a consistent study has no warnings")
        // One data CSV per chart, linked from the page.
        let data = try FileManager.default.contentsOfDirectory(atPath: study.appendingPathComponent("report_data").path)
            .filter { $0.hasSuffix(".csv") }
        XCTAssertEqual(data.count, Self.expectedCharts.count)
        for f in data { XCTAssertTrue(html.contains("report_data/\(f)"), f) }

        // Ideal line t1/p on the time chart.
        let time = try CSVTable(contentsOf: study.appendingPathComponent("report_data/01-time-per-step-vs-ranks.csv"))
        XCTAssertEqual(rows(time).filter { $0["series"] == "ideal" }.compactMap { $0.number("y") }, [1.0, 0.5, 0.25])
        XCTAssertEqual(rows(time).filter { $0["series"] == "measured" }.compactMap { $0.number("y") }, [1.0, 0.6, 0.4])

        // scaling.csv: one row per rank count, the documented columns first.
        let csv = try CSVTable(contentsOf: study.appendingPathComponent("scaling.csv"))
        XCTAssertEqual(
            Array(csv.header.prefix(5)), ["ranks", "global_batch", "seconds_per_step", "speedup", "efficiency"])
        for c in [
            "data_seconds", "forward_seconds", "loss_compute_seconds", "loss_communication_seconds",
            "loss_overlapped_seconds",
            "backward_seconds", "allreduce_seconds", "optimizer_seconds", "gflops_total", "fraction_of_peak",
            "bytes_per_step_per_rank", "peak_rss_bytes",
        ] {
            XCTAssertTrue(csv.header.contains(c), "scaling.csv has \(c)")
            XCTAssertEqual(csv.numbers(c)?.compactMap { $0 }.count, 3, "\(c) filled for every rank count")
        }
        XCTAssertEqual(csv.header, ScalingStudy.csvHeader)
        XCTAssertEqual(csv.rows.count, 3)
        XCTAssertEqual(column(csv, "ranks"), [1, 2, 4])
        XCTAssertEqual(column(csv, "global_batch"), [4096, 4096, 4096])
        let eff = column(csv, "efficiency")
        let speedup = column(csv, "speedup")
        for (got, want) in zip(eff, [1, 1 / 1.2, 0.625]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        for (got, want) in zip(speedup, [1, 1 / 0.6, 2.5]) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        XCTAssertEqual(column(csv, "forward_seconds")[2], 0.08, accuracy: 1e-12)
        XCTAssertEqual(column(csv, "gflops_total")[2], 300, accuracy: 1e-9)
        XCTAssertEqual(column(csv, "fraction_of_peak")[0], 120.0 / 90, accuracy: 1e-12)
        XCTAssertEqual(column(csv, "batch_per_rank"), [4096, 2048, 1024])
        XCTAssertEqual(column(csv, "rank_time_spread")[1], 1 / 0.95, accuracy: 1e-12)
        // Fixed total GEMM work (strong): efficiency in work per second equals efficiency in time.
        for (got, want) in zip(column(csv, "work_efficiency"), eff) { XCTAssertEqual(got, want, accuracy: 1e-12) }
        // Every line has as many cells as the header (pandas reads it without a ragged row).
        let text = try String(contentsOf: study.appendingPathComponent("scaling.csv"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            XCTAssertEqual(line.split(separator: ",", omittingEmptySubsequences: false).count, csv.header.count)
        }
    }

    func testWeakScalingEfficiencyAndIdeal() throws {
        let study = dir.appendingPathComponent("weak")
        try ScalingFixtures.write(at: study, kind: "weak", ranks: [1, 2, 4], seconds: [0.5, 0.55, 0.625])
        let html = try String(contentsOf: try writeReport(for: study), encoding: .utf8)
        XCTAssertEqual(chartTitles(html), Self.expectedCharts)
        XCTAssertTrue(html.contains("Weak scaling, batch per rank 2048 fixed"))
        XCTAssertTrue(html.contains("ideal: constant time (fixed batch per rank)"))
        let csv = try CSVTable(contentsOf: study.appendingPathComponent("scaling.csv"))
        XCTAssertEqual(column(csv, "global_batch"), [2048, 4096, 8192])
        for (got, want) in zip(column(csv, "efficiency"), [1, 0.5 / 0.55, 0.8]) {
            XCTAssertEqual(got, want, accuracy: 1e-12)
        }
        for (got, want) in zip(column(csv, "speedup"), [1, 2 * 0.5 / 0.55, 3.2]) {
            XCTAssertEqual(got, want, accuracy: 1e-12)
        }
        let time = try CSVTable(contentsOf: study.appendingPathComponent("report_data/01-time-per-step-vs-ranks.csv"))
        XCTAssertEqual(rows(time).filter { $0["series"] == "ideal" }.compactMap { $0.number("y") }, [0.5, 0.5, 0.5])
        let effChart = try CSVTable(
            contentsOf: study.appendingPathComponent("report_data/02-parallel-efficiency-vs-ranks.csv"))
        XCTAssertEqual(rows(effChart).first { $0["series"] == "ideal" }?.number("y"), 1)
        // The fixture's total GEMM work is fixed, so per-rank work falls as 1/p: 0.5 / (0.625 · 4) at 4 ranks.
        let work = rows(effChart).filter { $0["series"] == "in GEMM work per second" }.compactMap { $0.number("y") }
        XCTAssertEqual(work.count, 3)
        XCTAssertEqual(work.last ?? 0, 0.2, accuracy: 1e-12)
        XCTAssertEqual(column(csv, "work_efficiency").last ?? 0, 0.2, accuracy: 1e-12)
        XCTAssertTrue(
            html.contains("each rank&apos;s similarity block is b × B"), "weak overview explains the growing loss work")
    }

    func testReferenceIsTheFewestRanks() throws {
        let study = dir.appendingPathComponent("from2")
        // Listed out of order: the report sorts, and p0 = 2.
        try ScalingFixtures.write(at: study, kind: "strong", ranks: [8, 2, 4], seconds: [0.3, 0.8, 0.5])
        let loaded = try ScalingStudy.load(study)
        XCTAssertEqual(loaded.ranks, [2, 4, 8])
        let r = loaded.rows
        XCTAssertEqual(r.map(\.efficiency)[0], 1)
        XCTAssertEqual(r.map(\.efficiency)[1], 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.map(\.efficiency)[2], 1.6 / 2.4, accuracy: 1e-12)
        XCTAssertEqual(r.map(\.idealSecondsPerStep)[2], 0.2, accuracy: 1e-12)
        XCTAssertEqual(r.map(\.samplesPerSecond)[0], 4096 / 0.8, accuracy: 1e-9)
    }

    func testPhaseBreakdownChart() throws {
        let study = dir.appendingPathComponent("phases")
        try ScalingFixtures.write(at: study, kind: "strong", ranks: [1, 2], seconds: [1.0, 0.6])
        _ = try writeReport(for: study)
        let phases = try CSVTable(
            contentsOf: study.appendingPathComponent("report_data/03-phases-of-a-step-per-rank-count.csv"))
        let series = Set(phases.strings("series") ?? [])
        XCTAssertEqual(
            series,
            [
                "data", "forward", "loss compute", "loss communication", "backward", "gradient allreduce", "optimizer",
                "step time",
            ])
        XCTAssertEqual(Set(phases.strings("x") ?? []), ["1 rank", "2 ranks"])
        let allreduce = rows(phases).first { $0["series"] == "gradient allreduce" && $0["x"] == "2 ranks" }
        XCTAssertEqual(allreduce?.number("y") ?? 0, 0.09, accuracy: 1e-12)
        // Overlapped loss communication is zero here: it is neither stacked nor on the log chart.
        let lines = try CSVTable(contentsOf: study.appendingPathComponent("report_data/04-phase-time-vs-ranks.csv"))
        XCTAssertFalse((lines.strings("series") ?? []).contains("loss comm. (overlapped)"))
    }

    func testStackedBarChartSVG() throws {
        let chart = StackedBarChart(
            title: "Stack <&>", yLabel: "s", categories: ["a", "b"],
            segments: [BarSeries(name: "x", values: [1, 2]), BarSeries(name: "y", values: [0.5, .nan])],
            totals: [1.4, 2.5], totalName: "measured")
        XCTAssertEqual(chart.stackHeight(0), 1.5)
        XCTAssertEqual(chart.stackHeight(1), 2, "NaN segments draw nothing")
        XCTAssertEqual(chart.dataRows.count, 6)
        let svg = chart.svg()
        let inspected = try XCTUnwrap(SVGInspector.inspect(svg))
        XCTAssertEqual(inspected.elements["rect"].map { $0 >= 3 }, true)
        XCTAssertTrue(inspected.texts.contains("measured"))
        XCTAssertTrue(inspected.texts.contains("Stack <&>"))
    }

    func testMissingPointNamesTheFile() throws {
        let study = dir.appendingPathComponent("missing")
        try ScalingFixtures.write(at: study, kind: "strong", ranks: [1, 2, 4], seconds: [1.0, 0.6, 0.4])
        try FileManager.default.removeItem(at: study.appendingPathComponent("np-4/bench.json"))
        XCTAssertThrowsError(try writeReport(for: study)) { e in
            guard case RecordError.missingFile(let url, let hint) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(url.path, study.appendingPathComponent("np-4/bench.json").path)
            XCTAssertTrue(hint.contains("4 rank(s)") && hint.contains("scaling.json"), hint)
            XCTAssertTrue("\(e)".contains("np-4/bench.json"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: study.appendingPathComponent("report.html").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: study.appendingPathComponent("scaling.csv").path))
    }

    func testMalformedBenchNamesTheFile() throws {
        let cases: [(String, (inout JSONValue) -> Void, String)] = [
            ("truncated", { _ in }, "not valid JSON"),
            (
                "no-phase",
                { j in
                    var phases = j["phases"] ?? .null
                    if case .object(var m) = phases {
                        m.removeAll { $0.key == "forward" }
                        phases = .object(m)
                    }
                    j.set("phases", phases)
                }, "phases.forward"
            ),
            (
                "wrong-ranks",
                { j in
                    j.set("ranks", 3)
                    j.set("batch_per_rank", [2048, 1024, 1024])
                }, "np-2"
            ),
            ("schema", { j in j.set("schema", "infomax-bench/2") }, "infomax-bench/2"),
            ("null-time", { j in j.set("seconds_per_step", .null) }, "seconds_per_step"),
            ("batches", { j in j.set("batch_per_rank", [1, 2, 3]) }, "batch_per_rank"),
        ]
        for (name, edit, expected) in cases {
            let study = dir.appendingPathComponent(name)
            try ScalingFixtures.write(at: study, kind: "strong", ranks: [1, 2], seconds: [1.0, 0.6]) { p, j in
                if p == 2 { edit(&j) }
            }
            let bench = study.appendingPathComponent("np-2/bench.json")
            if name == "truncated" {
                let text = try String(contentsOf: bench, encoding: .utf8)
                try AtomicFile.write(String(text.prefix(text.count / 2)), to: bench)
            }
            XCTAssertThrowsError(try writeReport(for: study), name) { e in
                guard case RecordError.malformed(let url, let reason) = e else { return XCTFail("\(name): \(e)") }
                XCTAssertEqual(url.path, bench.path, name)
                XCTAssertTrue(reason.contains(expected), "\(name): \(reason)")
            }
        }
    }

    func testBadManifest() throws {
        let cases: [(String, String)] = [
            ("{\"schema\":\"infomax-scaling/1\",\"kind\":\"medium\",\"ranks\":[1,2]}", "strong"),
            ("{\"schema\":\"infomax-scaling/1\",\"kind\":\"weak\",\"ranks\":[]}", "non-empty"),
            ("{\"schema\":\"infomax-scaling/1\",\"kind\":\"weak\",\"ranks\":[1,1.5]}", "whole numbers"),
            (
                "{\"schema\":\"infomax-scaling/1\",\"kind\":\"weak\",\"ranks\":[1,2],\"failed\":[1,2]}",
                "every rank count failed"
            ),
            ("[1, 2", "not valid JSON"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let study = dir.appendingPathComponent("manifest-\(i)")
            try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
            try AtomicFile.write(text, to: study.appendingPathComponent("scaling.json"))
            XCTAssertThrowsError(try writeReport(for: study)) { e in
                guard case RecordError.malformed(let url, let reason) = e else { return XCTFail("\(e)") }
                XCTAssertEqual(url.lastPathComponent, "scaling.json")
                XCTAssertTrue(reason.contains(expected), reason)
            }
        }
    }

    func testFailedRankCountsAreLeftOutWithANote() throws {
        let study = dir.appendingPathComponent("failed")
        try ScalingFixtures.write(at: study, kind: "weak", ranks: [1, 2, 4], seconds: [0.5, 0.55, 0.6], failed: [4])
        let html = try String(contentsOf: try writeReport(for: study), encoding: .utf8)
        XCTAssertTrue(html.contains("The bench failed at 4 rank(s)"))
        XCTAssertEqual(try CSVTable(contentsOf: study.appendingPathComponent("scaling.csv")).rows.count, 2)
    }

    func testInconsistentPointsAreFlagged() throws {
        let study = dir.appendingPathComponent("inconsistent")
        try ScalingFixtures.write(at: study, kind: "strong", ranks: [1, 2, 4], seconds: [1.0, 0.45, 0.2]) { p, j in
            if p == 2 {
                j.set("global_batch", 2048)
                j.set("batch_per_rank", [1024, 1024])
            }
            if p == 4 {
                j.set("width", 512)
                j.set("batch_per_rank", [1025, 1024, 1024, 1023])
            }
        }
        let html = try String(contentsOf: try writeReport(for: study), encoding: .utf8)
        XCTAssertTrue(html.contains("`width` differs between rank counts (256 at 1, 256 at 2, 512 at 4)"), "width note")
        XCTAssertTrue(
            html.contains("the global batch changes with the rank count (4096 at 1, 2048 at 2, 4096 at 4)"),
            "batch note")
        XCTAssertTrue(html.contains("split unevenly at 4 ranks (1023–1025)"), "uneven note")
        XCTAssertTrue(html.contains("Efficiency above 1"), "superlinear note")
    }

    func testSweepScalingStillUsesTheSharedCharts() throws {
        // A sweep folder with a `ranks` axis keeps its own report (no scaling.json).
        let sweep = dir.appendingPathComponent("sweep")
        try ReportFixtures.writeScalingSweep(at: sweep, scaling: "weak")
        XCTAssertFalse(RunFolderReport(folder: sweep).isScalingStudy)
        let html = try String(contentsOf: try writeReport(for: sweep), encoding: .utf8)
        XCTAssertEqual(Array(chartTitles(html).prefix(2)), ["Time per step vs ranks", "Parallel efficiency vs ranks"])
        XCTAssertTrue(html.contains("efficiency = t(p₀) / t(p)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: sweep.appendingPathComponent("scaling.csv").path))
    }
}
