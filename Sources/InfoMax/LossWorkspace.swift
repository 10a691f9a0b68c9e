// InfoMax/LossWorkspace.swift — the buffers every loss plan works in, allocated once per loss
// object and shared by its plans (which never run at once): the normalised copies, the gathered
// candidates and their gradient, the logits block, the row / column statistics, the label
// orders; and the label sort and row permutation that work in its scratch.
import Linalg

final class LossWorkspace<T: BLASScalar> {
    /// Cosine similarity: the normalised anchors / h, positives / g, candidates and their norms.
    var aHat = Matrix<T>(rows: 0, cols: 0), pHat = Matrix<T>(rows: 0, cols: 0), cHat = Matrix<T>(rows: 0, cols: 0)
    var aNorms: [T] = [], pNorms: [T] = [], cNorms: [T] = []
    /// All-gather: the gathered candidates and the gradient with respect to all of them.
    var gathered: [T] = [], dCGlobal: [T] = []
    /// The logits block (or, held, all b × N logits) and the stop-gradient split weights.
    let logits = ScratchBuffer<T>(), splitWeights = ScratchBuffer<T>()
    /// Per local row: the positive logit, the running max / sum-exp (then the log-sum-exp).
    let positive = ScratchBuffer<T>(), rowMax = ScratchBuffer<T>(), rowSum = ScratchBuffer<T>()
    /// Fused symmetric InfoNCE: online column statistics (max, sum-exp), scratch, and the
    /// column log-sum-exps; the column statistics of this rank and of every rank (all-gathered).
    let colMax = ScratchBuffer<T>(), colSum = ScratchBuffer<T>(), colShift = ScratchBuffer<T>()
    let blockMax = ScratchBuffer<T>(), colLSE = ScratchBuffer<T>()
    var colStatsLocal: [T] = [], colStatsAll: [T] = []
    /// The N labels as scalars (masking as a vector select), and the fused ring's own chunk.
    let labelKeys = ScratchBuffer<T>(), ownPacked = ScratchBuffer<T>()
    /// Grouping by label: a block of anchor rows and of their gradient.
    let rowBlock = ScratchBuffer<T>(), rowGradient = ScratchBuffer<T>()
    /// Sorted position → global column, its inverse, this rank's rows in label order, the
    /// sorted labels, and (ring) the N labels with every rank's segment sorted.
    var colOrder: [Int] = [], colPos: [Int] = [], rowOrder: [Int] = []
    var sortedLabels: [Int64] = [], ringLabels: [Int64] = []
    /// Spectral: scratch of the negative pair count.
    var pairScratch: [Int64] = []
    /// The two directions of a symmetric call that is not fused.
    var forward = ContrastiveResult<T>(), backward = ContrastiveResult<T>()
    private var sortKeys: [Int64] = [], visited: [Bool] = []
    private let rowTemp = ScratchBuffer<T>()

    /// `order` ← the indices 0 ..< count sorted by (label(i), i) (a heap sort of combined keys).
    func sortByLabel(count n: Int, label: (Int) -> Int64, into order: inout [Int]) {
        resizeZeroed(&sortKeys, n)
        for i in 0..<n { sortKeys[i] = label(i) &* Int64(n) &+ Int64(i) }
        sortKeys.withUnsafeMutableBufferPointer { $0.heapSort(by: <) }
        resizeZeroed(&order, n)
        for q in 0..<n { order[q] = Int(sortKeys[q] % Int64(Swift.max(n, 1))) }
    }

    /// In place: row q of the rows × k matrix `x` becomes its row order[q] (cycle by cycle,
    /// through one row of scratch).
    func permuteRows(_ x: inout [T], k: Int, order: [Int]) {
        let n = order.count
        if visited.count != n { visited = [Bool](repeating: false, count: n) }
        for q in 0..<n { visited[q] = false }
        let tmp = rowTemp.atLeast(k)
        x.withUnsafeMutableBufferPointer { px in
            let base = px.baseAddress!
            for start in 0..<n where !visited[start] {
                tmp.update(from: base + start * k, count: k)
                var q = start
                while true {
                    visited[q] = true
                    let src = order[q]
                    if src == start {
                        (base + q * k).update(from: tmp, count: k)
                        break
                    }
                    (base + q * k).update(from: base + src * k, count: k)
                    q = src
                }
            }
        }
    }
}
