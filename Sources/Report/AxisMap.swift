// AxisMap: data values to pixel positions along one chart axis (linear or log), and the padded
// domain and ticks an axis shows for its values.
import Foundation

/// Maps data values to pixels along one axis.
struct AxisMap {
    let scale: AxisScale
    let lo: Double, hi: Double      // domain (data units)
    let p0: Double, p1: Double      // pixel positions of lo and hi

    func t(_ v: Double) -> Double { scale == .log ? Foundation.log10(v) : v }
    func drawable(_ v: Double) -> Bool { v.isFinite && (scale == .linear || v > 0) }
    func px(_ v: Double) -> Double {
        let a = t(lo), b = t(hi)
        return b == a ? (p0 + p1) / 2 : p0 + (t(v) - a) / (b - a) * (p1 - p0)
    }

    /// The domain spanned by `ticks`, widened by `fraction` of its length at both ends.
    static func padded(_ ticks: [Double], scale: AxisScale, fraction: Double) -> (lo: Double, hi: Double) {
        let lo = ticks.first ?? (scale == .log ? 1 : 0), hi = ticks.last ?? (scale == .log ? 10 : 1)
        guard fraction > 0, hi > lo else { return (lo, hi) }
        if scale == .log {
            let a = Foundation.log10(lo), b = Foundation.log10(hi), d = (b - a) * fraction
            return (Foundation.pow(10, a - d), Foundation.pow(10, b + d))
        }
        let d = (hi - lo) * fraction
        return (lo - d, hi + d)
    }

    /// Domain and ticks for values on this axis, merged with forced ticks/extra values.
    static func ticks(values: [Double], scale: AxisScale, explicit: [Double]?, include: [Double]) -> [Double] {
        let vals = (values + include).filter { $0.isFinite && (scale == .linear || $0 > 0) }
        if let explicit, !explicit.isEmpty {
            var t = explicit.filter { scale == .linear || $0 > 0 }.sorted()
            if let lo = vals.min(), let f = t.first, lo < f { t.insert(lo, at: 0) }
            if let hi = vals.max(), let l = t.last, hi > l { t.append(hi) }
            return t
        }
        guard let lo = vals.min(), let hi = vals.max() else { return scale == .log ? [1, 10] : [0, 1] }
        return scale == .log ? NiceTicks.log(min: lo, max: hi) : NiceTicks.linear(min: lo, max: hi)
    }
}
