// SweepReportBuilder+Scaling: the charts of a sweep with a `ranks` axis — time per step and
// parallel efficiency against the ideal line (strong or weak scaling, sweep.json's `scaling`),
// and the share of a step spent communicating.
import RunRecords

private typealias C = Metrics.Column

extension SweepReportBuilder {
    /// The mean over logged steps of communication / (compute + communication) of one run.
    private static func communicationShare(_ run: RunFolder) -> Double? {
        let c = run.curve(C.communicationSeconds).y.filter { $0.isFinite }
        let k = run.curve(C.computeSeconds).y.filter { $0.isFinite }
        guard !c.isEmpty, !k.isEmpty else { return nil }
        let cm = c.reduce(0, +) / Double(c.count), km = k.reduce(0, +) / Double(k.count)
        return cm + km > 0 ? cm / (cm + km) : nil
    }

    func scalingItems() -> [RunFolderReport.Item] {
        let kind = sweep.scaling.flatMap(ScalingKind.init(text:)) ?? .strong
        let seriesParams = groupParams.filter { $0 != "ranks" }
        let ranks = Array(Set(loaded.compactMap { $0.value("ranks")?.doubleValue })).sorted()
        guard !ranks.isEmpty else { return [] }
        var items: [RunFolderReport.Item] = [.section("Scaling (\(kind.rawValue))")]
        if sweep.scaling == nil {
            items.append(.note("sweep.json has no `scaling` key; assuming strong scaling (fixed global problem). "
                + "Add \"scaling\": \"weak\" for a weak-scaling study."))
        }
        var timeSeries: [LineSeries] = [], effSeries: [LineSeries] = [], refs: [ReferenceLine] = []
        var commSeries: [LineSeries] = []
        let names = orderedLabels(seriesParams)
        for (i, name) in names.enumerated() {
            let shown = seriesParams.isEmpty ? "measured" : name
            var xs: [Double] = [], t: [Double] = [], tlo: [Double] = [], thi: [Double] = [], comm: [Double] = []
            for r in ranks {
                let points = loaded.filter { label($0, seriesParams) == name && $0.value("ranks")?.doubleValue == r }
                guard let s = Spread(points.compactMap { $0.run?.secondsPerStep }) else { continue }
                xs.append(r); t.append(s.mean); tlo.append(s.low); thi.append(s.high)
                comm.append(Spread(points.compactMap { $0.run.flatMap(Self.communicationShare) })?.mean ?? .nan)
            }
            guard let p0 = xs.first, let t0 = t.first else { continue }
            let color = Palette.color(i)
            timeSeries.append(LineSeries(name: shown, x: xs, y: t, low: tlo, high: thi, color: color, markers: true))
            let eff: ([Double]) -> [Double] = { ts in
                zip(xs, ts).map { kind.efficiency(p0: p0, t0: t0, p: $0, t: $1) }
            }
            effSeries.append(LineSeries(name: shown, x: xs, y: eff(t), low: eff(thi), high: eff(tlo), color: color,
                                        markers: true))
            if i < 2 {
                refs.append(ScalingCharts.idealLine(kind, ranks: xs, p0: p0, t0: t0,
                                                    name: "ideal" + (names.count > 1 ? " (\(name))" : ""),
                                                    color: i == 0 ? "#666666" : "#aaaaaa"))
            }
            if comm.contains(where: { $0.isFinite }) {
                commSeries.append(LineSeries(name: shown, x: xs, y: comm, color: color, markers: true))
            }
        }
        items.append(.chart(ScalingCharts.timePerStep(kind, ranks: ranks, series: timeSeries, ideal: refs,
                                                      note: "band = min–max"), caption: nil))
        items.append(.chart(ScalingCharts.efficiency(kind, ranks: ranks, series: effSeries), caption: nil))
        if !commSeries.isEmpty {
            items.append(.chart(LineChart(title: "Communication share vs ranks",
                                          subtitle: "communication / (compute + communication), mean over logged steps",
                                          xLabel: ScalingCharts.ranksAxis, yLabel: "share of step time", xScale: .log,
                                          series: commSeries, xTicks: ranks, yIncludes: [0, 1]), caption: nil))
        }
        return items
    }
}
