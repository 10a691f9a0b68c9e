// InfoMax/Normalization.swift — row normalisation for the cosine similarity and its backward
// pass (dx = (dx̂ − x̂ ⟨x̂, dx̂⟩) / ‖x‖), in place over reused buffers: the plans' and the
// learned temperature's (``TemperatureGradient``) one normalisation.
import Linalg

/// x̂_i = x_i / max(‖x_i‖, √(least normal)) into `out` (reshaped), the norms into `norms`
/// (the floor guards all-zero rows).
@_specialize(where T == Float)
@_specialize(where T == Double)
public func normalizeRows<T: BLASScalar>(_ x: Matrix<T>, into out: inout Matrix<T>, norms: inout [T]) {
    let r = x.rows
    let c = x.cols
    out.reshape(rows: r, cols: c)
    if norms.count != r { norms = [T](repeating: 0, count: r) }
    let floor = T.leastNormalMagnitude.squareRoot()
    x.storage.withUnsafeBufferPointer { px in
        out.storage.withUnsafeMutableBufferPointer { po in
            norms.withUnsafeMutableBufferPointer { pn in
                for i in 0..<r {
                    var s: T = 0
                    for t in 0..<c { s += px[i * c + t] * px[i * c + t] }
                    let n = Swift.max(s.squareRoot(), floor)
                    pn[i] = n
                    let inv = 1 / n
                    for t in 0..<c { po[i * c + t] = px[i * c + t] * inv }
                }
            }
        }
    }
}

/// In place: d ← (d − x̂ ⟨x̂, d⟩) / ‖x‖ row by row, the gradient through x ↦ x/‖x‖
/// (`xh`, `norms` from ``normalizeRows(_:into:norms:)``).
@_specialize(where T == Float)
@_specialize(where T == Double)
public func backpropNormalization<T: BLASScalar>(_ d: inout Matrix<T>, normalized xh: Matrix<T>, norms: [T]) {
    let r = d.rows
    let c = d.cols
    xh.storage.withUnsafeBufferPointer { px in
        norms.withUnsafeBufferPointer { pn in
            d.storage.withUnsafeMutableBufferPointer { pd in
                for i in 0..<r {
                    var s: T = 0
                    for t in 0..<c { s += px[i * c + t] * pd[i * c + t] }
                    let inv = 1 / pn[i]
                    for t in 0..<c { pd[i * c + t] = (pd[i * c + t] - px[i * c + t] * s) * inv }
                }
            }
        }
    }
}
