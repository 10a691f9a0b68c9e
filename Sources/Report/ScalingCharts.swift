// ScalingCharts: the two charts (time per step vs ranks with the ideal line, parallel efficiency
// vs ranks) that the sweep report's `ranks` axis and the scaling-study report (`infomax bench` at
// several rank counts) both draw.
import Foundation

/// The charts shared by every scaling report.
enum ScalingCharts {
    static let ranksAxis = "MPI ranks"

    /// The dashed ideal line over `ranks` from the reference (p0, t0).
    static func idealLine(_ kind: ScalingKind, ranks: [Double], p0: Double, t0: Double, name: String = "ideal",
                          color: String = "#666666") -> ReferenceLine {
        ReferenceLine(name: name, x: ranks, y: ranks.map { kind.idealTime(p0: p0, t0: t0, p: $0) }, color: color)
    }

    /// Time per step against ranks, log–log, with the ideal line(s).
    static func timePerStep(_ kind: ScalingKind, ranks: [Double], series: [LineSeries], ideal: [ReferenceLine],
                            note: String? = nil) -> LineChart {
        LineChart(title: "Time per step vs ranks",
                  subtitle: "\(kind.rawValue) scaling · \(kind.idealText)" + (note.map { " · \($0)" } ?? ""),
                  xLabel: ranksAxis, yLabel: "time per step (s)", xScale: .log, yScale: .log,
                  series: series, references: ideal, xTicks: ranks)
    }

    /// Parallel efficiency against ranks, with the ideal 1.
    static func efficiency(_ kind: ScalingKind, ranks: [Double], series: [LineSeries]) -> LineChart {
        LineChart(title: "Parallel efficiency vs ranks",
                  subtitle: kind.efficiencyFormula + "; p₀ = fewest ranks; 1 is ideal",
                  xLabel: ranksAxis, yLabel: "parallel efficiency", xScale: .log,
                  series: series, references: [.horizontal("ideal", y: 1)], xTicks: ranks, yIncludes: [0, 1])
    }
}
