// NiceTicks: "nice" tick values (1, 2, 2.5, 5 × 10^k on linear axes; decades or 1-2-5 on log axes)
// and their labels.
import Foundation

/// Tick computation and tick labels.
public enum NiceTicks {
    /// Ticks with a round step whose first tick is ≤ `min` and last tick is ≥ `max`.
    public static func linear(min lo0: Double, max hi0: Double, target: Int = 6) -> [Double] {
        guard lo0.isFinite, hi0.isFinite else { return [0, 1] }
        var lo = Swift.min(lo0, hi0), hi = Swift.max(lo0, hi0)
        if hi - lo <= 1e-12 * Swift.max(abs(lo), abs(hi)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(Swift.max(target - 1, 1))
        let exponent = Foundation.floor(Foundation.log10(raw))
        let magnitude = Foundation.pow(10, exponent)
        let mantissa = [1, 2, 2.5, 5, 10].first { $0 * magnitude >= raw * (1 - 1e-9) } ?? 10
        let step = mantissa * magnitude
        let first = Foundation.floor(lo / step), last = Foundation.ceil(hi / step)
        // k·m·10^e computed so that 0.1-steps give 0.3, not 0.30000000000000004.
        func value(_ k: Double) -> Double {
            let v = exponent < 0 ? k * mantissa / Foundation.pow(10, -exponent) : k * mantissa * magnitude
            return v == 0 ? 0 : v
        }
        var ticks = stride(from: first, through: last, by: 1).map(value)
        if let f = ticks.first, f > lo { ticks.insert(value(first - 1), at: 0) }
        if let l = ticks.last, l < hi { ticks.append(value(last + 1)) }
        return ticks
    }

    /// Ticks for a log axis over positive `min...max`: 1-2-5 per decade for short ranges,
    /// powers of ten (every n-th decade for very long ranges) otherwise. Covers the data.
    public static func log(min lo0: Double, max hi0: Double) -> [Double] {
        guard lo0 > 0, hi0 > 0, lo0.isFinite, hi0.isFinite else { return [1, 10] }
        let lo = Swift.min(lo0, hi0), hi = Swift.max(lo0, hi0)
        let d0 = Int(Foundation.floor(Foundation.log10(lo) + 1e-12)), d1 = Int(Foundation.ceil(Foundation.log10(hi) - 1e-12))
        let decades = Swift.max(d1 - d0, 1)
        if decades <= 3 {
            var candidates: [Double] = []
            let mantissas: [Double] = decades == 1 ? [1, 2, 3, 5] : [1, 2, 5]
            for d in (d0 - 1)...(d1 + 1) { for m in mantissas { candidates.append(clean(m * Foundation.pow(10, Double(d)))) } }
            let start = candidates.lastIndex { $0 <= lo * (1 + 1e-12) } ?? 0
            let end = candidates.firstIndex { $0 >= hi * (1 - 1e-12) } ?? candidates.count - 1
            return Array(candidates[start...Swift.max(start + 1, end)])
        }
        let every = Swift.max(1, Int(Foundation.ceil(Double(decades) / 7)))
        var first = d0
        first -= ((first % every) + every) % every
        var ticks: [Double] = []
        var d = first
        while true {
            ticks.append(clean(Foundation.pow(10, Double(d))))
            if d >= d1 { break }
            d += every
        }
        return ticks
    }

    private static func clean(_ v: Double) -> Double { Double(String(format: "%.12g", v)) ?? v }

    /// Labels for ticks: the fewest decimals that tell the ticks apart exactly, or e-notation for
    /// very large/small magnitudes.
    public static func labels(_ ticks: [Double]) -> [String] {
        guard !ticks.isEmpty else { return [] }
        let biggest = ticks.map(abs).max() ?? 0
        let nonzero = ticks.filter { $0 != 0 }.map(abs)
        let smallest = nonzero.min() ?? 1
        let exponential = biggest >= 1e6 || (biggest < 1e-3 && biggest > 0) || (smallest < 1e-4 && biggest / smallest > 1e3)
        for digits in 0...10 {
            let texts = ticks.map { exponential ? compactExponent($0, digits) : String(format: "%.\(digits)f", $0) }
            let exact = zip(texts, ticks).allSatisfy { text, t in
                guard let back = Double(text) else { return false }
                return abs(back - t) <= 1e-9 * Swift.max(abs(t), smallest)
            }
            if exact { return texts.map { $0 == "-0" ? "0" : $0 } }
        }
        return ticks.map { String(format: "%g", $0) }
    }

    private static func compactExponent(_ v: Double, _ digits: Int) -> String {
        if v == 0 { return "0" }
        let s = String(format: "%.\(digits)e", v)  // e.g. 1.5e-05
        guard let e = s.firstIndex(of: "e") else { return s }
        let mant = s[..<e]
        var exp = String(s[s.index(after: e)...])
        let sign = exp.hasPrefix("-") ? "-" : ""
        exp = String(exp.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        return "\(mant)e\(sign)\(exp.isEmpty ? "0" : exp)"
    }
}
