// RunReportBuilder: the items of one run's report — its summary table, its training curves
// (loss, signal vs noise, condition number, alignment, accuracy, any other metric column; a
// column constant along training is named in one line, not charted), its timings (compute vs
// communication) and its configuration.
import RunRecords

private typealias C = Metrics.Column

/// The charts and tables of one run.
struct RunReportBuilder {
    let run: RunFolder

    func items() -> [RunFolderReport.Item] {
        var items: [RunFolderReport.Item] = []
        if let summary = run.summaryMembers {
            items.append(.section("Summary"))
            let rows = summary.flattened().map { [$0.key, $0.value] }
            items.append(.table(header: ["key", "value"], rows: rows, caption: nil))
        } else {
            items.append(
                .note(
                    "No \(RunFolder.summaryFile) yet: the run is still going or stopped early. "
                        + "Curves show the steps logged so far."))
        }
        items.append(.section("Training curves"))
        var charts: [RunFolderReport.Item] = []
        var constant = ConstantFigures()
        let columns = (run.metrics?.numericColumns ?? []).filter { c in
            [C.step, C.wallSeconds, C.epoch].contains(c) || !constant.check(c, run.metrics?.numbers(c) ?? [])
        }
        if !constant.isEmpty { items.append(.paragraph(constant.line("Constant along training (not charted)"))) }
        func has(_ c: String) -> Bool { columns.contains(c) && !run.curve(c).x.isEmpty }
        func single(_ key: String, _ subtitle: String? = nil) {
            let c = run.curve(key)
            let info = Metrics.info(key)
            charts.append(
                .chart(
                    LineChart(
                        title: info.title, subtitle: subtitle, xLabel: Metrics.stepAxis,
                        yLabel: info.axis, yScale: Metrics.scale(key, c.y),
                        series: [LineSeries(name: key, x: c.x, y: c.y)],
                        yIncludes: Metrics.isAccuracy(key) ? [0, 1] : []), caption: nil))
        }
        if has(C.loss) { single(C.loss) }
        let sn = [C.signalLearning, C.noiseMemorization].filter(has)
        if !sn.isEmpty {
            let series = sn.map { k -> LineSeries in
                let c = run.curve(k)
                return LineSeries(name: Metrics.info(k).title.lowercased(), x: c.x, y: c.y)
            }
            // Huang et al.'s predicted T₁, when the run recorded it (gray: the series are not modes).
            let t1 = T1Markers.prediction([run])
            let caption =
                "Learning the signal generalizes; memorizing the noise does not."
                + (t1.map {
                    " " + T1Markers.caption($0, panels: "the chart", unit: "steps", lastX: series.flatMap(\.x).max())
                } ?? "")
            charts.append(
                .chart(
                    LineChart(
                        title: "Signal learning vs noise memorization",
                        subtitle: "signal: max_r γ_r · noise: mean_i max_r ρ_r,i "
                            + "(coefficients of μ/‖μ‖², ξ_i/‖ξ_i‖² in w_r − w_r(0))",
                        xLabel: Metrics.stepAxis, yLabel: "coefficient in w_r − w_r(0)",
                        series: series,
                        references: t1.map { T1Markers.lines($0, singleColor: "#555555", multiColor: "#555555") }
                            ?? []),
                    caption: caption))
        }
        if has(C.conditionNumber) { single(C.conditionNumber) }
        if has(C.subspaceAlignment) { single(C.subspaceAlignment) }
        let acc = [C.trainAccuracy, C.testAccuracy].filter(has)
        if !acc.isEmpty {
            let series = acc.map { k -> LineSeries in
                let c = run.curve(k)
                return LineSeries(name: k == C.trainAccuracy ? "train" : "test", x: c.x, y: c.y)
            }
            charts.append(
                .chart(
                    LineChart(
                        title: "Downstream accuracy", xLabel: Metrics.stepAxis,
                        yLabel: "accuracy (fraction correct)", series: series,
                        references: [.horizontal("chance (0.5)", y: 0.5)], yIncludes: [0, 1]),
                    caption: nil))
        } else if let summary = run.summary {
            let pairs = [("train", run.summaryNumber(C.trainAccuracy)), ("test", run.summaryNumber(C.testAccuracy))]
                .compactMap { n, v in v.map { (n, $0) } }
            if !pairs.isEmpty {
                let name = summary.mode.rawValue
                charts.append(
                    .chart(
                        BarChart(
                            title: "Final downstream accuracy", yLabel: "accuracy (fraction correct)",
                            categories: pairs.map(\.0),
                            series: [BarSeries(name: name, values: pairs.map(\.1))],
                            yIncludes: [0, 1]), caption: nil))
            }
        }
        let handled: Set<String> = [
            C.step, C.wallSeconds, C.epoch, C.loss, C.signalLearning, C.noiseMemorization,
            C.conditionNumber, C.subspaceAlignment, C.trainAccuracy, C.testAccuracy,
            C.computeSeconds, C.communicationSeconds,
        ]
        for c in columns where !handled.contains(c) && !Metrics.isTiming(c) && has(c) { single(c) }
        // Timings after the science, in a section of their own.
        var timings: [RunFolderReport.Item] = []
        let timing = [C.computeSeconds, C.communicationSeconds].filter(has)
        if !timing.isEmpty {
            let series = timing.map { k -> LineSeries in
                let c = run.curve(k)
                return LineSeries(name: k == C.computeSeconds ? "compute" : "communication", x: c.x, y: c.y)
            }
            timings.append(
                .chart(
                    LineChart(
                        title: "Compute vs communication time", xLabel: Metrics.stepAxis,
                        yLabel: "time (s)", series: series), caption: nil))
        }
        for c in columns where !handled.contains(c) && Metrics.isTiming(c) && has(c) {
            let curve = run.curve(c)
            let info = Metrics.info(c)
            timings.append(
                .chart(
                    LineChart(
                        title: info.title, xLabel: Metrics.stepAxis, yLabel: info.axis,
                        series: [LineSeries(name: c, x: curve.x, y: curve.y)]), caption: nil))
        }
        if charts.isEmpty && timings.isEmpty {
            items.append(.note("No metric rows to plot (\(RunFolder.metricsFile) is missing or has no values yet)."))
        }
        items += charts
        if !timings.isEmpty { items += [.section("Timings")] + timings }
        if let config = run.config {
            items.append(.section("Configuration"))
            let rows = config.flattened().map { [$0.key, $0.value] }
            items.append(.table(header: ["setting", "value"], rows: rows, caption: nil))
        }
        return items
    }
}
