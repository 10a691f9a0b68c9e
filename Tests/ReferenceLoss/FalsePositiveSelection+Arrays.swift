// ReferenceLoss/FalsePositiveSelection+Arrays.swift — the guide's false-positive choice returning
// new arrays, for the tests and `multirank-checks` (the training step uses the `into:` forms,
// which reuse their buffers).
import InfoMax
import Linalg

extension FalsePositiveSelection {
    /// ``pairSimilarities(anchors:positives:into:)`` as a new array.
    public static func pairSimilarities(anchors: Matrix<Float>, positives: Matrix<Float>) throws -> [Double] {
        var out: [Double] = []
        try pairSimilarities(anchors: anchors, positives: positives, into: &out)
        return out
    }

    /// ``dropped(similarities:count:order:into:)`` as a new array.
    public static func dropped(similarities: [Double], count: Int) -> [Bool] {
        var order: [Int] = []
        var out: [Bool] = []
        dropped(similarities: similarities, count: count, order: &order, into: &out)
        return out
    }
}
