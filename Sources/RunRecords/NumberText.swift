// NumberText: how numbers are written — full-precision round-trip text for CSV, JSON number text,
// compact display text for tables and charts.
import Foundation

/// Number formatting shared by the writers and charts.
public enum NumberText {
    /// Shortest text that reads back to exactly `x` ("nan", "inf", "-inf" for non-finite values).
    public static func roundTrip(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }

    /// Shortest round-trip text of a Float.
    public static func roundTrip(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return "\(x)"
    }

    /// JSON number text for a finite value; integral values are written without ".0".
    static func json(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// Compact display with up to `digits` significant digits.
    public static func display(_ x: Double, digits: Int = 6) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.\(digits)g", x)
    }
}
