// ReferenceLoss/RowNormalizer.swift — the one-process references' normalisation: a batch of
// rows and its normalised copy, with the backward pass (InfoMax's normalizeRows /
// backpropNormalization over fresh matrices).
import InfoMax
import Linalg

/// A batch of rows and its normalised copy (the copy is the batch itself for `.dot`).
struct RowNormalizer<T: BLASScalar> {
    let cosine: Bool
    var normalized: Matrix<T>
    var norms: [T] = []

    init(_ x: Matrix<T>, cosine: Bool) {
        self.cosine = cosine
        if cosine {
            normalized = Matrix(rows: 0, cols: 0)
            normalizeRows(x, into: &normalized, norms: &norms)
        } else {
            normalized = x
        }
    }

    /// The gradient with respect to the raw rows, given the gradient with respect to the normalised rows.
    func backward(_ d: Matrix<T>) -> Matrix<T> {
        guard cosine else { return d }
        var r = d
        backpropNormalization(&r, normalized: normalized, norms: norms)
        return r
    }
}
