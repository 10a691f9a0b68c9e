// AxisScale: whether a chart axis is linear or base-10 logarithmic.

/// How an axis maps values to positions.
public enum AxisScale: Equatable {
    case linear
    /// Base-10 logarithmic; values ≤ 0 are not drawn (gaps).
    case log
}
