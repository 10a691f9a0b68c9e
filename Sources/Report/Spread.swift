// Spread: the mean, range and standard deviation over seeds that every aggregated figure of a
// sweep report shows (the line, the band, the whiskers, the "mean (min–max)" cells, Figure 1's
// mean ± 1σ bands).

/// Mean, min, max and sample standard deviation of a list of values (over seeds); NaN values are
/// left out.
struct Spread {
    let mean: Double, low: Double, high: Double, count: Int
    /// Sample standard deviation (n − 1 in the denominator); 0 for a single value.
    let sd: Double

    /// Nil when no value is a number.
    init?(_ values: [Double]) {
        let v = values.filter { !$0.isNaN }
        guard !v.isEmpty else { return nil }
        mean = v.reduce(0, +) / Double(v.count)
        low = v.min() ?? .nan
        high = v.max() ?? .nan
        count = v.count
        let m = mean
        sd = v.count > 1 ? (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot() : 0
    }
}
