// ModalityMode: multi-modal or single-modal contrastive learning (or both, to compare), the
// `mode` of a config and of summary.json.

/// Multi-modal (one encoder per modality, positives are pairs) or single-modal (one encoder,
/// positives are two augmentations), or both in one launch for a side-by-side comparison.
/// A summary's mode is one of the first two (each modality of a comparison has its own run).
public enum ModalityMode: String, Codable, CaseIterable, Sendable {
    case multiModal = "multi-modal"
    case singleModal = "single-modal"
    case compare = "compare"
}
