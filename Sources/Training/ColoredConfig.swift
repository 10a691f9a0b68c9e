// Training/ColoredConfig.swift — the `colored.*` section of a run config: the colored-digits
// data model (Huang et al.'s Table 1 as synthetic data, see Synthetic/ColoredDigits.swift).
import Synthetic

/// How the out-of-distribution test set draws its colors.
public enum ColoredTestColors: String, Codable, CaseIterable, Sendable, ConfigChoice {
    /// Color = digit + 1 (mod K) with probability `agreement`: the training pairing swapped.
    case swapped
    /// Color independent of the digit.
    case independent

    /// The data model's color scheme.
    var scheme: ColoredDigits.Colors { self == .swapped ? .swapped : .independent }
}

/// The colored-digits model: K classes, an image [shape, color, noise] of patch width d, a
/// spurious color, label noise, an ideal text (one-hot of digit and color). Its encoders'
/// features are always summed over the patches (the image has 3, the text 1), whatever
/// `loss.patchwise` says.
public struct ColoredConfig: Codable, Equatable, Sendable {
    /// Digit classes K (and colors).
    public var classes: Int = 10
    /// Patch dimension d (an image row has 3d Floats), at least 2K.
    public var d: Int = 200
    /// ‖shape‖ of the digit's patch (weaker than the color: color is the easy feature).
    public var shapeNorm: Double = 3
    /// ‖color‖ of the color patch.
    public var colorNorm: Double = 10
    /// Noise standard deviation σ_p of the noise patch.
    public var sigmaP: Double = 1
    /// Scale of the text's one-hots (as Huang et al.'s ‖μ̃‖ = 15).
    public var textNorm: Double = 15
    /// Training: P(color = digit) (Huang et al.: 77.5 %); test: P(color = digit + 1).
    public var agreement: Double = 0.775
    /// Training and probe-fitting labels: P(label ≠ digit) (Huang et al.: 10 %).
    public var labelNoise: Double = 0.1
    /// The test set's colors.
    public var testColors: ColoredTestColors = .swapped
    /// Single-modal augmentation noise, on the shape and noise patches (the color is kept).
    public var augmentationSigma: Double = 0.5
    public init() {}
}
