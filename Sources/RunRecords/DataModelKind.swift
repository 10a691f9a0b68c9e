// DataModelKind: the data model of one of the three papers a run trains on, the `model` of a
// config and of summary.json.

/// Which data model of the three papers a run trains on.
public enum DataModelKind: String, Codable, CaseIterable, Sendable {
    /// Huang et al. 2024: signal + noise patches, two modalities sharing the label.
    case signalNoise = "signal-noise"
    /// Ren & Li 2023: two linear views of a shared, non-isotropic latent.
    case latentLinear = "latent-linear"
    /// Zhang et al. 2023: discrete image / text tokens with a known co-occurrence.
    case cooccurrence = "cooccurrence"
    /// Huang et al. 2024, Table 1: colored digits with a spurious color and an ideal text.
    case colored = "colored"
}
