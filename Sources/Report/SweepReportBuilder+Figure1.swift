// SweepReportBuilder+Figure1: Huang et al.'s Figure 1 (NeurIPS 2024) drawn from a compare run or
// a sweep of signal-noise runs over seeds (and modes) — training loss, out-of-distribution test
// accuracy, signal learning and noise memorization against the epoch, one line per modality,
// mean ± 1 standard deviation over seeds.
import RunRecords

private typealias C = Metrics.Column

extension SweepReportBuilder {
    /// The columns of the figure's panels, in the paper's order, with their panel titles.
    static let figureOnePanels: [(column: String, title: String)] = [
        (C.loss, "(a) Training loss"), (C.testAccuracy, "(b) Test accuracy (OOD)"),
        (C.signalLearning, "(c) Signal learning"), (C.noiseMemorization, "(d) Noise memorization"),
    ]

    /// The modality of a point: its grid value, else its summary's.
    func modality(_ p: SweepFolder.Point) -> String? {
        p.mode?.rawValue ?? p.run?.summary?.mode.rawValue
    }

    /// Whether the sweep is the paper's Figure 1 setting: every point with results is a
    /// signal-noise run, and every grid key but the seed and the mode takes a single value.
    var drawsFigureOne: Bool {
        guard !loaded.isEmpty else { return false }
        guard groupParams.allSatisfy({ $0 == SweepFolder.modeParameter || distinct($0) == 1 }) else { return false }
        return loaded.allSatisfy { p in
            guard let run = p.run, modality(p) != nil else { return false }
            let model = run.summaryMembers?["model"]?.stringValue ?? run.config?["model"]?.stringValue
            return model == DataModelKind.signalNoise.rawValue
                && run.metrics?.numericColumns.contains(C.signalLearning) == true
        }
    }

    /// The figure and its caption: one line per modality (multi-modal first, as in the paper),
    /// each the mean over seeds at every logged epoch with a ±1 s.d. band when there are
    /// several seeds.
    func figureOneItems() -> [RunFolderReport.Item] {
        guard drawsFigureOne else { return [] }
        var modes: [String] = []
        for p in loaded { if let m = modality(p), !modes.contains(m) { modes.append(m) } }
        let known = ModalityMode.allCases.map(\.rawValue)
        modes.sort { (known.firstIndex(of: $0) ?? known.count) < (known.firstIndex(of: $1) ?? known.count) }
        let runs = loaded.compactMap(\.run)
        // Full batch logs an integer epoch on every row; without it the x axis is the step.
        let byEpoch = runs.allSatisfy { $0.hasEveryRow(C.epoch) }
        let seedsPerMode = modes.map { m in loaded.filter { modality($0) == m }.count }
        let maxSeeds = seedsPerMode.max() ?? 1
        func series(_ column: String, _ mode: String, _ index: Int) -> LineSeries? {
            var byX: [Double: [Double]] = [:]
            for p in loaded where modality(p) == mode {
                guard let run = p.run else { continue }
                let c = byEpoch ? run.curve(column, against: C.epoch) : run.curve(column)
                for (x, y) in zip(c.x, c.y) { byX[x, default: []].append(y) }
            }
            guard !byX.isEmpty else { return nil }
            let xs = byX.keys.sorted()
            let stats = xs.map { Spread(byX[$0] ?? []) }
            let band = maxSeeds > 1
            return LineSeries(
                name: mode, x: xs, y: stats.map { $0?.mean ?? .nan },
                low: band ? stats.map { $0.map { $0.mean - $0.sd } ?? .nan } : nil,
                high: band ? stats.map { $0.map { $0.mean + $0.sd } ?? .nan } : nil,
                color: Palette.color(index), markers: xs.count <= 12)
        }
        // Huang et al.'s predicted T₁ (recorded by the runs) on the signal and noise panels.
        let t1 = T1Markers.prediction(runs)
        func modeColor(_ mode: ModalityMode) -> String {
            Palette.color(modes.firstIndex(of: mode.rawValue) ?? (mode == .multiModal ? 0 : 1))
        }
        let t1Lines = t1.map {
            T1Markers.lines($0, singleColor: modeColor(.singleModal), multiColor: modeColor(.multiModal))
        }
        let panels = Self.figureOnePanels.map { column, title -> LineChart in
            let acc = Metrics.isAccuracy(column)
            let marked = column == C.signalLearning || column == C.noiseMemorization
            return LineChart(
                title: title, xLabel: byEpoch ? "epoch" : Metrics.stepAxis,
                yLabel: Metrics.info(column).axis,
                series: modes.enumerated().compactMap { series(column, $1, $0) },
                references: acc ? [.horizontal("chance (0.5)", y: 0.5)] : (marked ? t1Lines ?? [] : []),
                yIncludes: acc ? [0, 1] : [0])
        }
        let seedText: String
        if maxSeeds <= 1 {
            seedText = "one seed per modality: each line is that run (no band)"
        } else if Set(seedsPerMode).count == 1 {
            seedText = "lines = mean over \(maxSeeds) seeds; shaded bands = mean ± 1 standard deviation over seeds"
        } else {
            seedText =
                "lines = mean over seeds ("
                + zip(modes, seedsPerMode).map { "\($0): \($1)" }.joined(separator: ", ")
                + "); shaded bands = mean ± 1 standard deviation over seeds"
        }
        let caption =
            "Huang et al. (NeurIPS 2024), Figure 1, from this folder's runs: \(seedText)"
            + (maxSeeds > 1 ? " (sample standard deviation, n − 1)" : "") + ". "
            + "(a) the contrastive training loss; (b) out-of-distribution test accuracy of a linear probe on the "
            + "frozen features (dashed: chance, 0.5); (c) signal learning and (d) noise memorization, as the trainer "
            + "logs them. The paper's claim: multi-modal learns the signal and generalizes, single-modal memorizes "
            + "the noise and stays near chance; both losses converge."
            + (t1.map { p in
                let lastX = panels.last?.series.flatMap(\.x).max()
                return " "
                    + T1Markers.caption(p, panels: "(c) and (d)", unit: byEpoch ? "epochs" : "steps", lastX: lastX)
            } ?? "")
        let figure = PanelFigure(
            title: "Figure 1 — multi-modal vs single-modal contrastive learning",
            subtitle: maxSeeds > 1 ? "mean ± 1σ over \(maxSeeds) seeds" : "one seed",
            panels: panels)
        return [.section("Figure 1 (Huang et al., NeurIPS 2024)"), .chart(figure, caption: caption)]
    }
}
