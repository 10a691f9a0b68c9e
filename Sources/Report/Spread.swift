// Spread: the mean and range over seeds that every aggregated figure of a sweep report shows
// (the line, the band, the whiskers, the "mean (min–max)" cells).

/// Mean, min and max of a list of values (over seeds); NaN values are left out.
struct Spread {
    let mean: Double, low: Double, high: Double, count: Int

    /// Nil when no value is a number.
    init?(_ values: [Double]) {
        let v = values.filter { !$0.isNaN }
        guard !v.isEmpty else { return nil }
        mean = v.reduce(0, +) / Double(v.count)
        low = v.min() ?? .nan
        high = v.max() ?? .nan
        count = v.count
    }
}
