// ScalingReport: the charts and tables of a scaling study (`infomax bench` at several rank
// counts): time per step and efficiency against the ideal, where the step's time goes per rank
// count, the compute rate against the sgemm peak, memory and communication per rank.
import Foundation
import RunRecords

struct ScalingReportBuilder {
    let study: ScalingStudy

    /// Display names of the phases of a step, in `BenchResult.phaseKeys` order.
    static let phaseNames: [String: String] = [
        "data": "data", "forward": "forward", "loss_compute": "loss compute",
        "loss_communication": "loss communication",
        "loss_overlapped": "loss comm. (hidden)", "backward": "backward", "allreduce": "gradient allreduce",
        "optimizer": "optimizer",
    ]
    /// The phases on the step's critical path (stacked): overlapped loss communication is hidden
    /// behind the loss computation, so it is not stacked on top of it.
    static let stackedPhases = BenchResult.phaseKeys.filter { $0 != "loss_overlapped" }

    private var rows: [ScalingStudy.Row] { study.rows }
    private var xs: [Double] { study.ranks.map(Double.init) }
    private var reference: BenchResult { study.points[0] }
    private func rankLabel(_ p: Int) -> String { p == 1 ? "1 rank" : "\(p) ranks" }
    private func f(_ x: Double?, _ digits: Int = 4) -> String { x.map { NumberText.display($0, digits: digits) } ?? "" }
    private func mb(_ x: Double?) -> String { x.map { NumberText.display($0 / 1e6, digits: 4) } ?? "" }

    func items() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = [.paragraph(overview())]
        items += notes().map { .note($0) }
        items.append(.section("Scaling (\(study.kind.rawValue))"))
        items += scalingCharts()
        items.append(.section("Where the time goes"))
        items += phaseCharts()
        items.append(.section("Compute rate, memory and communication"))
        items += rateCharts()
        items.append(.section("Results per rank count"))
        items += tables()
        items.append(.section("Settings"))
        items.append(.table(header: ["setting", "value"], rows: settings(), caption: nil))
        return items
    }

    // MARK: text

    private func overview() -> String {
        let b = reference
        let fixed =
            study.kind == .strong
            ? "global batch \(b.globalBatch) fixed"
            : "batch per rank \(NumberText.display(Double(b.globalBatch) / Double(b.ranks))) fixed"
        let problem = ["d", "width", "mode", "exchange"].compactMap { k -> String? in
            let v = b.text(k)
            return v.isEmpty ? nil : (k == "mode" ? v : k == "exchange" ? "\(v) exchange" : "\(k) = \(v)")
        }.joined(separator: ", ")
        var s = "\(study.kind.rawValue.prefix(1).uppercased() + study.kind.rawValue.dropFirst()) scaling, \(fixed); "
        s += "\(study.ranks.map(String.init).joined(separator: ", ")) ranks"
        if !problem.isEmpty { s += "; \(problem)" }
        if !b.text("steps").isEmpty {
            s +=
                "; \(b.text("steps")) timed steps after \(b.text("warmup").isEmpty ? "?" : b.text("warmup")) warm-up steps per point"
        }
        if !b.text("openblas_threads").isEmpty { s += "; \(b.text("openblas_threads")) BLAS thread(s) per rank" }
        s +=
            ". Times are per training step: the mean over the timed steps of the slowest rank's step; each phase is the slowest rank's mean. "
        s += "Efficiency and speedup are relative to the fewest ranks (p₀ = \(reference.ranks))."
        if study.kind == .weak {
            s +=
                " In weak scaling the contrastive loss's work per rank still grows with the ranks: each rank's similarity block is b × B "
                + "with B = b·p, so constant time is out of reach for the loss phases even without any communication."
            if let g0 = reference.number("gflop_per_step"), let last = study.points.last,
                let g = last.number("gflop_per_step"), study.points.count > 1
            {
                s +=
                    " GEMM work per rank: \(NumberText.display(g0 / Double(reference.ranks), digits: 3)) GFLOP at \(rankLabel(reference.ranks)), "
                    + "\(NumberText.display(g / Double(last.ranks), digits: 3)) at \(rankLabel(last.ranks))."
            }
        }
        return s
    }

    /// Warnings about points that do not measure what the study claims.
    private func notes() -> [String] {
        var out: [String] = []
        if !study.failed.isEmpty {
            out.append(
                "The bench failed at \(study.failed.map(String.init).joined(separator: ", ")) rank(s) (scaling.json `failed`); "
                    + "those rank counts are left out. See the job log for why.")
        }
        for key in [
            "model", "d", "width", "patches", "mode", "loss", "symmetric", "stop_gradient", "exchange", "steps",
            "warmup", "openblas_threads",
        ] {
            let values = study.points.map { $0.text(key) }
            if Set(values).count > 1 {
                out.append(
                    "`\(key)` differs between rank counts ("
                        + zip(study.ranks, values).map { "\($1) at \($0)" }.joined(separator: ", ")
                        + "): the points do not run the same problem.")
            }
        }
        if study.kind == .strong, Set(study.points.map(\.globalBatch)).count > 1 {
            out.append(
                "Strong scaling, but the global batch changes with the rank count ("
                    + study.points.map { "\($0.globalBatch) at \($0.ranks)" }.joined(separator: ", ")
                    + "); the efficiency compares different problems.")
        }
        if study.kind == .weak {
            let perRank = study.points.map { Double($0.globalBatch) / Double($0.ranks) }
            if Set(perRank).count > 1 {
                out.append(
                    "Weak scaling, but the batch per rank changes with the rank count ("
                        + zip(study.ranks, perRank).map { "\(NumberText.display($1)) at \($0)" }.joined(separator: ", ")
                        + "); the efficiency compares different loads.")
            }
        }
        let uneven = study.points.filter { Set($0.batchPerRank).count > 1 }
        if !uneven.isEmpty {
            out.append(
                "The batch is split unevenly at "
                    + uneven.map { "\($0.ranks) ranks (\($0.batchPerRank.min() ?? 0)–\($0.batchPerRank.max() ?? 0))" }
                    .joined(separator: ", ")
                    + "; the slowest rank sets the pace. A global batch divisible by every rank count avoids it.")
        }
        if let best = rows.max(by: { $0.efficiency < $1.efficiency }), best.efficiency > 1.1 {
            out.append(
                "Efficiency above 1 (\(f(best.efficiency, 3)) at \(best.ranks) ranks): superlinear, usually a smaller working set per rank fitting in cache, "
                    + "or a slow or noisy reference point; more timed steps (--steps) settle the latter.")
        }
        return out
    }

    // MARK: charts

    private func scalingCharts() -> [RunFolderReport.Item] {
        let kind = study.kind
        let t = rows.map(\.point.secondsPerStep)
        let time = LineSeries(name: "measured", x: xs, y: t, color: Palette.color(0), markers: true)
        let ideal = ScalingCharts.idealLine(kind, ranks: xs, p0: xs[0], t0: t[0])
        var eff = [
            LineSeries(name: "measured", x: xs, y: rows.map(\.efficiency), color: Palette.color(0), markers: true)
        ]
        var caption =
            "Speedup at the most ranks: \(f(rows.last?.speedup, 3))× (ideal \(NumberText.display(xs.last! / xs[0]))×)"
            + (kind == .weak ? ", as samples per second (scaled speedup)." : ".")
        // Weak scaling of InfoNCE adds work per rank (the b × B similarity block grows with B):
        // efficiency in work done per second tells the parallel overhead apart from that growth.
        let work = rows.map { $0.workEfficiency ?? .nan }
        if kind == .weak, work.allSatisfy(\.isFinite) {
            eff.append(
                LineSeries(name: "in GEMM work per second", x: xs, y: work, color: Palette.color(1), markers: true))
            caption +=
                " The second line is GFLOP/s per rank relative to p₀: it discounts the loss work per rank that grows with the global batch."
        }
        return [
            .chart(ScalingCharts.timePerStep(kind, ranks: xs, series: [time], ideal: [ideal]), caption: nil),
            .chart(ScalingCharts.efficiency(kind, ranks: xs, series: eff), caption: caption),
        ]
    }

    private func phaseCharts() -> [RunFolderReport.Item] {
        let categories = study.ranks.map(rankLabel)
        let segments = Self.stackedPhases.enumerated().map { i, key in
            BarSeries(
                name: Self.phaseNames[key] ?? key, values: study.points.map { $0.phases[key] ?? .nan },
                color: Palette.color(i))
        }
        var items: [RunFolderReport.Item] = [
            .chart(
                StackedBarChart(
                    title: "Phases of a step per rank count",
                    subtitle: "seconds per step, slowest rank per phase; tick = measured step time",
                    xLabel: ScalingCharts.ranksAxis, yLabel: "time per step (s)", categories: categories,
                    segments: segments,
                    totals: study.points.map(\.secondsPerStep), totalName: "step time"),
                caption:
                    "Each phase is the slowest rank's mean, so the stack can exceed the step time when different ranks are slowest in different phases."
            )
        ]
        let lines = BenchResult.phaseKeys.enumerated().compactMap { i, key -> LineSeries? in
            let y = study.points.map { $0.phases[key] ?? .nan }
            guard y.contains(where: { $0 > 0 }) else { return nil }
            let color =
                key == "loss_overlapped" ? "#999999" : Palette.color(Self.stackedPhases.firstIndex(of: key) ?? i)
            return LineSeries(name: Self.phaseNames[key] ?? key, x: xs, y: y, color: color, markers: true)
        }
        if !lines.isEmpty {
            let note = study.kind == .strong ? "compute ideally falls as 1/p" : "ideally every phase stays flat"
            items.append(
                .chart(
                    LineChart(
                        title: "Phase time vs ranks", subtitle: "seconds per step, slowest rank; \(note)",
                        xLabel: ScalingCharts.ranksAxis, yLabel: "time per step (s)", xScale: .log, yScale: .log,
                        series: lines, xTicks: xs),
                    caption: "Phases that take no time are left out (zero cannot be drawn on a log axis)."))
        }
        return items
    }

    private func rateCharts() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = []
        let rate = study.points.map { $0.gflopsPerRank ?? .nan }
        let peak = study.points.map { $0.sgemmPeakGflops ?? .nan }
        let peakAll = study.points.map { $0.number("sgemm_peak_gflops_all_ranks") ?? .nan }
        if rate.contains(where: \.isFinite) {
            var refs: [ReferenceLine] = []
            if peak.contains(where: \.isFinite) {
                refs.append(ReferenceLine(name: "sgemm, rank 0 alone", x: xs, y: peak, color: "#666666"))
            }
            if peakAll.contains(where: \.isFinite) {
                refs.append(ReferenceLine(name: "sgemm, all ranks", x: xs, y: peakAll, color: "#aaaaaa"))
            }
            let fractions = study.points.compactMap { $0.fractionOfPeak }
            items.append(
                .chart(
                    LineChart(
                        title: "GFLOP/s per rank vs the sgemm peak",
                        subtitle: "achieved: GEMM work / step time / ranks; dashed: sgemm measured in the same run",
                        xLabel: ScalingCharts.ranksAxis, yLabel: "GFLOP/s per rank", xScale: .log,
                        series: [LineSeries(name: "achieved", x: xs, y: rate, color: Palette.color(0), markers: true)],
                        references: refs, xTicks: xs, yIncludes: [0]),
                    caption: fractions.isEmpty
                        ? nil
                        : "Fraction of the sgemm peak of rank 0 alone: "
                            + zip(study.points, study.points.map(\.fractionOfPeak)).compactMap { b, fr in
                                fr.map { "\(NumberText.display($0 * 100, digits: 3))% at \(rankLabel(b.ranks))" }
                            }.joined(separator: ", ") + "."))
        }
        let rss = study.points.map { ($0.peakRSSBytes ?? .nan) / 1e6 }
        let comm = study.points.map { ($0.bytesPerStepPerRank ?? .nan) / 1e6 }
        let series = [
            LineSeries(name: "peak RSS", x: xs, y: rss, color: Palette.color(2), markers: true),
            LineSeries(name: "sent per step", x: xs, y: comm, color: Palette.color(1), markers: true),
        ]
        .filter { $0.y.contains { $0 > 0 } }
        if !series.isEmpty {
            let values = series.flatMap(\.y)
            items.append(
                .chart(
                    LineChart(
                        title: "Memory and communication per rank",
                        subtitle: "peak resident set; bytes sent per step (loss exchange + all-reduce)",
                        xLabel: ScalingCharts.ranksAxis, yLabel: "MB per rank", xScale: .log,
                        yScale: Metrics.autoScale(values), series: series, xTicks: xs, yIncludes: [0]), caption: nil))
        }
        return items
    }

    // MARK: tables

    private func tables() -> [RunFolderReport.Item] {
        let header = [
            "ranks", "global batch", "batch per rank", "time per step (s)", "ideal (s)", "speedup", "efficiency",
            "samples/s",
            "GFLOP/s total", "GFLOP/s per rank", "% of sgemm peak", "MB sent/step/rank", "peak RSS (MB)",
            "slowest/fastest rank",
        ]
        let results = rows.map { r -> [String] in
            let b = r.point
            let perRank =
                b.batchPerRank.isEmpty
                ? NumberText.display(Double(b.globalBatch) / Double(b.ranks))
                : (Set(b.batchPerRank).count == 1
                    ? "\(b.batchPerRank[0])" : "\(b.batchPerRank.min() ?? 0)–\(b.batchPerRank.max() ?? 0)")
            return [
                "\(b.ranks)", "\(b.globalBatch)", perRank, f(b.secondsPerStep), f(r.idealSecondsPerStep),
                f(r.speedup, 3), f(r.efficiency, 3),
                f(r.samplesPerSecond), f(b.gflopsTotal), f(b.gflopsPerRank), f(b.fractionOfPeak.map { $0 * 100 }, 3),
                mb(b.bytesPerStepPerRank), mb(b.peakRSSBytes), f(b.rankSpread, 3),
            ]
        }
        let phaseHeader =
            ["ranks"] + BenchResult.phaseKeys.map { Self.phaseNames[$0] ?? $0 } + [
                "sum of stacked phases", "measured step",
            ]
        let phases = study.points.map { b -> [String] in
            ["\(b.ranks)"] + BenchResult.phaseKeys.map { f(b.phases[$0]) }
                + [f(Self.stackedPhases.reduce(0) { $0 + (b.phases[$1] ?? 0) }), f(b.secondsPerStep)]
        }
        return [
            .table(
                header: header, rows: results, caption: "Also in \(ScalingStudy.csvFile) (full precision, for pandas)."),
            .table(header: phaseHeader, rows: phases, caption: "Seconds per step by phase (slowest rank per phase)"),
        ]
    }

    private func settings() -> [[String]] {
        let b = reference
        var out: [[String]] = [
            ["kind", study.kind.rawValue], ["rank counts", study.ranks.map(String.init).joined(separator: ", ")],
        ]
        for key in [
            "schema", "model", "d", "width", "patches", "mode", "loss", "symmetric", "stop_gradient", "exchange",
            "steps", "warmup", "openblas_threads",
        ] where !b.text(key).isEmpty {
            out.append([key, b.text(key)])
        }
        let hosts = Set(study.points.flatMap { $0.report.perRank.map(\.host) })
        if !hosts.isEmpty { out.append(["hosts", hosts.sorted().joined(separator: ", ")]) }
        out.append(["bench flags", study.benchFlags.isEmpty ? "(none)" : study.benchFlags.joined(separator: " ")])
        for (key, value) in study.manifest.details { out.append([key, value]) }
        return out
    }
}
