// InfoMax/Plans/GroupedAllgatherPlan.swift — the fused symmetric InfoNCE (FusedAllgatherPlan)
// for opposite-label negatives, grouped by label: the gathered candidates are permuted so that
// every label's samples are contiguous, and a block of this rank's rows with one label y
// computes its logits only against the other labels' columns — two contiguous column ranges,
// [0, s_y) and [e_y, N) — so the same-label pairs, which the mask would zero (the positive
// pair included: it is added row by row), cost neither a gemm nor an exponential: with two
// balanced labels half the work of the masked form. The column statistics, log-sum-exps and
// dĜ partials live in the sorted column order; dĜ is permuted back before the
// reduce-scatter. The loss is permutation invariant: the same values to float rounding.
import Linalg
import MPI

final class GroupedAllgatherPlan<Scalar: BLASScalar & MPIScalar>: LossPlanBase<Scalar>, FusedAllgather {
    static var grouped: Bool { true }
}

/// The label order of the grouped plan: this rank's rows by label (`rows`: position → row) and
/// the N columns by label (`columnPosition`: global index → sorted position; `sortedLabels`).
struct LabelOrder {
    let rows: [Int], columnPosition: [Int], sortedLabels: [Int64], labels: [Int64], offset: Int

    /// Calls `body(pos0, rr, columns)` for every block of ≤ `rowsPerBlock` rows (positions in
    /// `rows`) that share a label y: its columns are all but y's sorted columns [s_y, e_y).
    func forEachBlock(_ rowsPerBlock: Int, _ body: (Int, Int, BlockColumns) -> Void) {
        var pos0 = 0
        while pos0 < rows.count {
            let y = labels[offset + rows[pos0]]
            var end = pos0
            while end < rows.count && labels[offset + rows[end]] == y { end += 1 }
            let (s, e) = sameLabelRange(y, count: sortedLabels.count) { sortedLabels[$0] }
            for q in stride(from: pos0, to: end, by: rowsPerBlock) {
                body(q, Swift.min(rowsPerBlock, end - q), BlockColumns(s: s, e: e, count: sortedLabels.count))
            }
            pos0 = end
        }
    }
}

extension FusedPlan {
    /// Sorts the columns (the same on every rank) and this rank's rows by label, and permutes
    /// the gathered candidates into the column order.
    func labelOrder(_ f: FusedInputs<Scalar>) -> LabelOrder {
        let labels = skeleton.labelsGlobal
        var minLabel = Int64.max
        for j in 0..<f.B { minLabel = Swift.min(minLabel, labels[j]) }
        ws.sortByLabel(count: f.B, label: { labels[$0] - minLabel }, into: &ws.colOrder)
        resizeZeroed(&ws.colPos, f.B)
        resizeZeroed(&ws.sortedLabels, f.B)
        for q in 0..<f.B {
            ws.colPos[ws.colOrder[q]] = q
            ws.sortedLabels[q] = labels[ws.colOrder[q]]
        }
        ws.sortByLabel(count: f.b, label: { labels[f.offset + $0] - minLabel }, into: &ws.rowOrder)
        if f.k > 0 { ws.permuteRows(&ws.gathered, k: f.k, order: ws.colOrder) }
        return LabelOrder(
            rows: ws.rowOrder, columnPosition: ws.colPos, sortedLabels: ws.sortedLabels, labels: labels,
            offset: f.offset)
    }
}
