// InfoMax/FalsePositiveSelection.swift — Zhang et al.'s fifth variant, "DropFalsePositive"
// (code PKU-ML/CLIP-Help-SimCLR, NTXent_dfp): the positive pairs a frozen guide finds least
// alike over the GLOBAL batch lose their positive term. As in GuideSelection.swift, Double
// similarities and ties by global index: every rank and every rank count drop the same pairs.
import Linalg

/// Which positive pairs a guide removes from the loss.
public enum PositiveDrop: String, Sendable, Codable, CaseIterable {
    /// Keep every positive pair.
    case none
    /// Drop the pairs whose anchor and positive the guide finds least similar ("DropFalsePositive").
    case falsePositives = "false-positives"
}

/// The guide's choice of false positive pairs.
public enum FalsePositiveSelection {
    /// How many of the B positive pairs `drop` removes: ⌊fraction · B⌋ (none for `.none`).
    public static func dropCount(_ drop: PositiveDrop, fraction: Double, globalRows: Int) -> Int {
        guard drop != .none, globalRows > 0 else { return 0 }
        return min(Int((fraction * Double(globalRows)).rounded(.down)), globalRows)
    }

    /// The cosine similarity, in Double, of row i of `anchors` and row i of `positives` (the
    /// guide embeddings of each anchor and of its positive view; 0 for a zero row) into `out`.
    public static func pairSimilarities(
        anchors: Matrix<Float>, positives: Matrix<Float>, into out: inout [Double]
    ) throws {
        guard anchors.rows == positives.rows, anchors.cols == positives.cols else {
            throw InfoMaxError.shapeMismatch(
                "anchors \(anchors.rows)×\(anchors.cols), positives \(positives.rows)×\(positives.cols): one guide row each"
            )
        }
        out.removeAll(keepingCapacity: true)
        for i in 0..<anchors.rows {
            var dot = 0.0
            var na = 0.0
            var np = 0.0
            for t in 0..<anchors.cols {
                let a = Double(anchors[i, t])
                let p = Double(positives[i, t])
                dot += a * p
                na += a * a
                np += p * p
            }
            out.append(na > 0 && np > 0 ? dot / (na.squareRoot() * np.squareRoot()) : 0)
        }
    }

    /// Whether each of the global batch's pairs is dropped, given every pair's similarity (B
    /// values in global row order, the same on every rank), into `out`: the `count` lowest, ties
    /// to the lower global row. (The authors' code drops every pair at or below the count-th
    /// lowest similarity, ties included; here exactly `count`, as the negative drops do.)
    /// `order` is scratch. (similarity, row) is a total order, so any sort picks the same rows;
    /// an in-place heap sort, because the standard library's sort may allocate in a step.
    public static func dropped(similarities: [Double], count: Int, order: inout [Int], into out: inout [Bool]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(false, count: similarities.count))
        guard count > 0 else { return }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: similarities.indices)
        order.withUnsafeMutableBufferPointer { v in
            v.heapSort { a, b in similarities[a] != similarities[b] ? similarities[a] < similarities[b] : a < b }
        }
        for i in order.prefix(count) { out[i] = true }
    }
}
