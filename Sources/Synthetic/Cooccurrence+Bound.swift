// Synthetic/Cooccurrence+Bound.swift — the quantities of Zhang, Wang, Wang's (ICML 2023)
// generalization bound for multi-modal spectral CL, exact on this model (no sampling): the
// singular value σ_{k+1} of the normalized co-occurrence matrix Ā = P(x_v, x_l)/√(P(x_v) P(x_l))
// for embedding dimension k (the bound grows as σ_{k+1} → 1), and the labeling error α — the
// probability that an image and the text it co-occurs with get different labels under the
// best (Bayes) labeling of each token — beside the image token's own Bayes error.
import Linalg

extension Cooccurrence {
    /// The bound's quantities for embedding dimension `k`.
    public struct BoundQuantities: Equatable, Sendable {
        /// σ_{k+1} of Ā (descending; 0 when k ≥ min(N_v, N_l)).
        public var sigmaNext: Double
        /// α = Σ_{v,l} P(v, l) · 1[y(v) ≠ y(l)], y(x) = argmax_c π_c P(x | c) (ties: the lower class).
        public var labelingError: Double
        /// 1 − Σ_v max_c π_c P(v | c): the error of the best classifier of the class from the image
        /// token alone (the floor of the downstream probe's error).
        public var imageBayesError: Double
    }

    /// All singular values of the normalized co-occurrence matrix Ā, descending (σ₁ = 1).
    public func cooccurrenceSingularValues() throws -> [Double] {
        try singularValues(normalizedCooccurrence())
    }

    /// The Bayes label argmax_c π_c P(x | c) of every token of a vocabulary, from its K × N
    /// class-conditional table (ties: the lower class).
    func bayesLabels(_ conditionals: Matrix<Double>) -> [Int] {
        let pi = prior
        return (0..<conditionals.cols).map { t in
            var best = 0
            for c in 1..<classes where pi[c] * conditionals[c, t] > pi[best] * conditionals[best, t] { best = c }
            return best
        }
    }

    /// σ_{k+1}, the labeling error and the image Bayes error, exact from the model's tables.
    public func boundQuantities(k: Int) throws -> BoundQuantities {
        try require(k >= 1, "Cooccurrence", "k", ">= 1", k)
        let sigma = try cooccurrenceSingularValues()
        let pv = try imageConditionals()
        let pl = try textConditionals()
        let joint = try jointMatrix()
        let yv = bayesLabels(pv)
        let yl = bayesLabels(pl)
        var alpha = 0.0
        for v in 0..<imageVocabulary {
            for l in 0..<textVocabulary where yv[v] != yl[l] { alpha += joint[v, l] }
        }
        let pi = prior
        var bayes = 1.0
        for v in 0..<imageVocabulary {
            bayes -= (0..<classes).map { pi[$0] * pv[$0, v] }.max() ?? 0
        }
        return BoundQuantities(
            sigmaNext: k < sigma.count ? sigma[k] : 0, labelingError: alpha, imageBayesError: bayes)
    }
}
