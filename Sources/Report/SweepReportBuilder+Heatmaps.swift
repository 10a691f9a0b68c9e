// SweepReportBuilder+Heatmaps: a sweep's results over two numeric grid keys as coloured grids —
// the test accuracy per setting, and, when the grid has both modalities, the paired gap
// multi-modal − single-modal that the papers' claim is about.
import RunRecords

private typealias C = Metrics.Column

extension SweepReportBuilder {
    /// The two numeric grid keys (other than seed and ranks) that vary, when there are two or more:
    /// the first along x, the second along y.
    private var heatmapAxes: (x: String, y: String)? {
        let numeric = groupParams.filter { $0 != "ranks" && isNumeric($0) && distinct($0) > 1 }
        guard numeric.count >= 2 else { return nil }
        return (numeric[0], numeric[1])
    }

    /// The multi-modal − single-modal difference of summary figure `key` for each multi-modal
    /// point of `points` that has a single-modal point of the same seed (the first such) there.
    private static func modeGaps(_ points: [SweepFolder.Point], _ key: String) -> [Double] {
        var gaps: [Double] = []
        for m in points where m.mode == .multiModal {
            let seed = m.value("seed")?.displayString
            let single = points.first { $0.mode == .singleModal && $0.value("seed")?.displayString == seed }
            if let a = m.run?.summaryNumber(key), let b = single?.run?.summaryNumber(key) { gaps.append(a - b) }
        }
        return gaps
    }

    /// A metric over two grid keys as coloured grids, mean over seeds: one per setting of the other
    /// keys (e.g. per mode) for the test accuracy, and — when the sweep has both modes — the gap
    /// multi-modal − single-modal of every accuracy, matched by the other keys.
    func heatmapItems() -> [RunFolderReport.Item] {
        guard let (x, y) = heatmapAxes else { return [] }
        let xs = Array(Set(loaded.compactMap { $0.value(x)?.doubleValue })).sorted()
        let ys = Array(Set(loaded.compactMap { $0.value(y)?.doubleValue })).sorted()
        let rest = groupParams.filter { $0 != x && $0 != y }
        let accKeys = [C.testAccuracy, C.trainAccuracy]
            .filter { k in loaded.contains { $0.run?.summaryNumber(k) != nil } }
        guard !accKeys.isEmpty else { return [] }
        let xName = Metrics.shortName(x), yName = Metrics.shortName(y)
        var items: [RunFolderReport.Item] = [.section("\(Metrics.info(accKeys[0]).title) over \(xName) × \(yName)")]
        func atCell(_ points: [SweepFolder.Point], _ xv: Double, _ yv: Double) -> [SweepFolder.Point] {
            points.filter { $0.value(x)?.doubleValue == xv && $0.value(y)?.doubleValue == yv }
        }
        func detail(_ s: Spread?) -> String {
            guard let s else { return "" }
            guard s.count > 1 else { return "1 seed" }
            let low = NumberText.display(s.low, digits: 3), high = NumberText.display(s.high, digits: 3)
            return "min \(low), max \(high) over \(s.count) seeds"
        }
        func label(_ v: Double) -> String { NumberText.display(v, digits: 4) }
        let settings = orderedLabels(rest)
        let note = seedCount > 1 ? "mean over \(seedCount) seeds; hover a cell for min–max" : "one seed per point"
        // The gap multi − single, when the mode is one of the other keys.
        let modes = Set(loaded.compactMap(\.mode))
        if rest.contains(SweepFolder.modeParameter), modes.contains(.multiModal), modes.contains(.singleModal) {
            let others = rest.filter { $0 != SweepFolder.modeParameter }
            for g in orderedLabels(others).prefix(6) {
                let inGroup = loaded.filter { self.label($0, others) == g }
                for key in accKeys.prefix(1) {
                    // Paired by seed: the gap of each seed, then the mean over seeds.
                    let gaps = ys.map { yv in xs.map { xv in Spread(Self.modeGaps(atCell(inGroup, xv, yv), key)) } }
                    let what = key == C.testAccuracy ? "test" : "train"
                    let title = "Gap in \(what) accuracy, multi-modal − single-modal"
                        + (others.isEmpty ? "" : " — \(g)")
                    items.append(.chart(HeatmapChart(title: title, subtitle: note + "; red = multi-modal better",
                                                     xLabel: Metrics.parameterAxis(x), yLabel: Metrics.parameterAxis(y),
                                                     columns: xs.map(label), rows: ys.map(label),
                                                     values: gaps.map { $0.map { $0?.mean ?? .nan } },
                                                     details: gaps.map { $0.map(detail) },
                                                     valueLabel: "\(what) accuracy gap", diverging: true),
                                        caption: "Each cell: \(what) accuracy of the multi-modal run minus that of the "
                                            + "single-modal run with the same seed, averaged over seeds."))
                }
            }
        }
        for g in settings.prefix(8) {
            let inGroup = loaded.filter { self.label($0, rest) == g }
            let key = accKeys[0]
            let stats = ys.map { yv in
                xs.map { xv in Spread(atCell(inGroup, xv, yv).compactMap { $0.run?.summaryNumber(key) }) }
            }
            items.append(.chart(HeatmapChart(title: "\(Metrics.info(key).title)" + (rest.isEmpty ? "" : " — \(g)"),
                                             subtitle: note,
                                             xLabel: Metrics.parameterAxis(x), yLabel: Metrics.parameterAxis(y),
                                             columns: xs.map(label), rows: ys.map(label),
                                             values: stats.map { $0.map { $0?.mean ?? .nan } },
                                             details: stats.map { $0.map(detail) }, valueLabel: Metrics.info(key).axis,
                                             range: Metrics.isAccuracy(key) ? (0.5, 1) : nil), caption: nil))
        }
        return items
    }
}
