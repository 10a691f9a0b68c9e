// Evaluation/SampleMean.swift — the mean of a per-sample diagnostic over a simple random sample
// of the training set, with its standard error (finite-population corrected).

/// The mean of a per-sample quantity over a simple random sample of K of a population's n
/// samples (without replacement), with its standard error
/// SE = s/√K · √(1 − K/n), s² = (Σx² − K·x̄²)/(K − 1) the sample variance. The correction
/// √(1 − K/n) makes SE 0 when the sample is the whole population (the mean is then exact).
public struct SampleMean: Equatable, Sendable {
    public var mean: Double
    public var standardError: Double
    public var count: Int

    /// From the totals Σx, Σx² and K of the sample, drawn from a population of `population`.
    public init(sum: Double, sumOfSquares: Double, count: Int, population: Int) {
        self.count = count
        guard count > 0 else { mean = .nan; standardError = .nan; return }
        let k = Double(count)
        mean = sum / k
        guard count > 1 else { standardError = count >= population ? 0 : .nan; return }
        let variance = max(sumOfSquares - k * mean * mean, 0) / (k - 1)
        let correction = max(1 - k / Double(max(population, count)), 0)
        standardError = (variance / k * correction).squareRoot()
    }
}
