// InfoMax/TemperatureGradient.swift — the exact gradient of the InfoNCE loss in θ = log(1/τ)
// (CLIP's learned logit scale) from the embedding gradients the loss already returns, for the
// dot similarity: no extra pass over the logits, in every plan and at any rank count.
import Linalg

/// ∂L/∂θ, θ = log(1/τ), of a dot-similarity loss, this rank's share (sum the ranks' shares).
///
/// Every logit is ℓ = (scale/τ)·⟨a, c⟩, linear in its anchor a, so ∂L/∂θ = Σ ∂L/∂ℓ · ℓ =
/// Σ_i ⟨∂L/∂a_i, a_i⟩ over the anchors of each direction (Euler's identity; patch-wise
/// embeddings are wider rows, the 1/m scale a constant factor). Cosine similarity is the dot
/// form of the normalised rows: normalise with ``normalizeRows(_:into:norms:)``, evaluate the dot
/// loss, read ∂L/∂θ there, then take the gradients back with ``backpropNormalization(_:normalized:norms:)``
/// (past the normalisation's backward ⟨∂L/∂a, a⟩ = 0, so θ's gradient must be read before).
///
/// The masked (guided) loss, by hand. Anchor i has one positive p(i) and negatives
/// N(i) = {j ∉ {p(i)} ∪ D(i)}; the guide fixes p(i) and D(i) before the step, so they depend
/// on neither θ nor the embeddings. With ℓ_ij = e^θ·s·⟨a_i, c_j⟩ (s = scale; â, ĉ for cosine)
/// and L = (1/B) Σ_i [−ℓ_ip + log(e^{ℓ_ip} + Σ_{N(i)} e^{ℓ_ij})]:
///   ∂L/∂ℓ_ij = (σ_ij − [j = p(i)])/B for j ∈ {p(i)} ∪ N(i) (σ the row's softmax), 0 for j ∈ D(i);
///   ∂ℓ_ij/∂θ = ℓ_ij, so ∂L/∂θ = Σ_i Σ_j ∂L/∂ℓ_ij ℓ_ij = (1/B) Σ_i (E_σ[ℓ_i·] − ℓ_ip);
///   ∂L/∂a_i = Σ_j ∂L/∂ℓ_ij e^θ s c_j, so ⟨∂L/∂a_i, a_i⟩ = Σ_j ∂L/∂ℓ_ij ℓ_ij (dot): Euler's
///   identity still holds row by row, dropped pairs contributing 0 to both sides.
/// The guided recipe's two positives, L = ½(L_plain + L_neighbour) over the same anchors and
/// candidates, is linear in the two masked losses, so its ∂L/∂θ is ½ the sum of theirs. The
/// masked plan sums Σ_j ∂L/∂ℓ_ij ℓ_ij over its rows as it forms ∂L/∂ℓ
/// (``MaskedContrastiveLoss/thetaGradientShare``, any similarity). Its sigmoid form,
/// ℓ = t·S (+ b, which no embedding moves), gives ∂L/∂(log t) by the same sum and identity.
public enum TemperatureGradient {
    /// One direction: Σ_i ⟨∂L/∂a_i, a_i⟩ over the anchors `a`, `dA` taken before any candidate
    /// gradient is added.
    public static func direction<T: BLASScalar>(dA: Matrix<T>, anchors a: Matrix<T>) -> Double {
        precondition(dA.rows == a.rows && dA.cols == a.cols, "TemperatureGradient: shapes differ")
        return dA.storage.withUnsafeBufferPointer { xs in
            a.storage.withUnsafeBufferPointer { ys in
                var sum = 0.0
                for i in 0..<xs.count { sum += Double(xs[i]) * Double(ys[i]) }
                return sum
            }
        }
    }

    /// The symmetric loss ½[L(h→g) + L(g→h)] from its dh, dg. Without stop-gradient
    /// dh = ½(dA₁ + dPos₂ + dC₂) and ⟨dPos₂ + dC₂, h⟩ = ⟨dA₂, g⟩ (the second direction's logits
    /// are linear in its candidates too), so ⟨dh, h⟩ + ⟨dg, g⟩ counts each direction twice;
    /// with stop-gradient dh = ½ dA₁ and dg = ½ dA₂, once.
    public static func symmetric<T: BLASScalar>(
        dFirst: Matrix<T>, _ h: Matrix<T>, dSecond: Matrix<T>, _ g: Matrix<T>, stopGradient: Bool
    ) -> Double {
        let both = direction(dA: dFirst, anchors: h) + direction(dA: dSecond, anchors: g)
        return stopGradient ? both : 0.5 * both
    }
}
