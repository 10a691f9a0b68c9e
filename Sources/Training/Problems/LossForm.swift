// Training/Problems/LossForm.swift — which contrastive loss a problem's step evaluates (both
// directions, or one with the candidates from the first or the second embedding).

/// Which contrastive loss a problem's step evaluates, and where its candidate gradient goes.
enum LossForm {
    /// L(A = h, Pos = g, C = g) and L(A = g, Pos = h, C = h) (multi-modal, both directions),
    /// summed or averaged (`loss.reduction`).
    case symmetric
    /// L(A = h, Pos = g, C = g): the candidates are the second embedding.
    case candidatesSecond
    /// L(A = h, Pos = g, C = h): the candidates are the first embedding (Huang's single-modal).
    case candidatesFirst
}
