// InfoMax/GuideSelection.swift — what a frozen guide embedding decides for each anchor of a
// global batch (Zhang et al. 2023, code PKU-ML/CLIP-Help-SimCLR): its nearest neighbour (the
// extra positive of "AddNewPositive") and the candidates dropped from its negatives (the most
// similar: "DropFalseNegative"; the least similar: "DropEasyNegative"). Cosine similarities in
// Double from explicit loops, ties broken by global index, so every rank and every rank count
// make the same choices.
import Linalg

/// Which candidates a guide removes from an anchor's negatives.
public enum NegativeDrop: String, Sendable, Codable, CaseIterable {
    /// Keep every negative.
    case none
    /// Drop the most guide-similar candidates (likely false negatives; "DropFalseNegative").
    case falseNegatives = "false-negatives"
    /// Drop the least guide-similar candidates (easy negatives; "DropEasyNegative").
    case easyNegatives = "easy-negatives"
}

/// Per local anchor: its guide-nearest neighbour and the candidates dropped from its negatives,
/// as global rows (rank order).
public struct GuideSelection: Sendable, Equatable {
    /// Each local anchor's nearest neighbour; the anchor's own row when it has none eligible.
    public var neighbours: [Int] = []
    /// Row r's dropped candidates are `dropped[dropOffsets[r]..<dropOffsets[r + 1]]`.
    public var dropOffsets: [Int] = [0]
    public var dropped: [Int] = []

    public init() {}

    /// The dropped candidates of local row `r`.
    public func drops(ofRow r: Int) -> ArraySlice<Int> { dropped[dropOffsets[r]..<dropOffsets[r + 1]] }

    /// How many candidates `drop` removes from each anchor's B − 1 other candidates:
    /// ⌊fraction · (B − 1)⌋ (none for `.none`).
    public static func dropCount(_ drop: NegativeDrop, fraction: Double, globalRows: Int) -> Int {
        guard drop != .none, globalRows > 1 else { return 0 }
        return min(Int((fraction * Double(globalRows - 1)).rounded(.down)), globalRows - 1)
    }

    /// For the anchors `localRows` of a global batch with guide embeddings `guide` (B × k_g, the
    /// same on every rank): each one's cosine-nearest other row, skipping rows whose `keys` equal
    /// the anchor's (the same input, e.g. image token: the analogue of "itself and its own view";
    /// nil: only the anchor itself), and the `dropCount` rows `drop` removes among all others
    /// (keys ignored). Ties: the lower global row first.
    public static func select(
        guide: Matrix<Float>, keys: [Int]?, localRows: Range<Int>, drop: NegativeDrop,
        fraction: Double
    ) throws -> GuideSelection {
        let B = guide.rows
        let k = guide.cols
        guard localRows.lowerBound >= 0, localRows.upperBound <= B else {
            throw InfoMaxError.shapeMismatch("local rows \(localRows) outside the global batch of \(B) rows")
        }
        if let keys, keys.count != B {
            throw InfoMaxError.shapeMismatch("\(keys.count) keys for \(B) guide rows; pass one per row")
        }
        // Unit rows in Double: rows i and j have the same similarity whichever rank computes it.
        var unit = [Double](repeating: 0, count: B * k)
        for i in 0..<B {
            var s = 0.0
            for t in 0..<k { s += Double(guide[i, t]) * Double(guide[i, t]) }
            let inv = s > 0 ? 1 / s.squareRoot() : 0
            for t in 0..<k { unit[i * k + t] = Double(guide[i, t]) * inv }
        }
        let count = dropCount(drop, fraction: fraction, globalRows: B)
        var result = GuideSelection()
        result.neighbours.reserveCapacity(localRows.count)
        var similarity = [Double](repeating: 0, count: B)
        var order: [Int] = []
        for g in localRows {
            for j in 0..<B {
                var s = 0.0
                for t in 0..<k { s += unit[g * k + t] * unit[j * k + t] }
                similarity[j] = s
            }
            var best = g
            for j in 0..<B where j != g && keys.map({ $0[j] != $0[g] }) ?? true {
                if best == g || similarity[j] > similarity[best] { best = j }
            }
            result.neighbours.append(best)
            if count > 0 {
                order = (0..<B).filter { $0 != g }
                let mostSimilarFirst = drop == .falseNegatives
                order.sort { a, b in
                    similarity[a] != similarity[b] ? (similarity[a] > similarity[b]) == mostSimilarFirst : a < b
                }
                result.dropped.append(contentsOf: order[0..<count].sorted())
            }
            result.dropOffsets.append(result.dropped.count)
        }
        return result
    }
}
