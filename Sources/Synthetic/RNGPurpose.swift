// Synthetic/RNGPurpose.swift — what a random stream is used for, one tag per use, mixed into the
// stream's counter (see CounterRNG.swift's header) so that no two uses share random words.

/// What a stream is used for; mixed into the counter so uses never share random words.
/// Values 0..<64 are reserved by Synthetic; 64..<128 for the upper layers listed here;
/// 128...255 are free for anything else (`RNGPurpose(rawValue:)`).
public struct RNGPurpose: RawRepresentable, Hashable, Codable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let label = RNGPurpose(rawValue: 1)
    public static let imageNoise = RNGPurpose(rawValue: 2)
    public static let textNoise = RNGPurpose(rawValue: 3)
    public static let augmentation = RNGPurpose(rawValue: 4)
    public static let mask = RNGPurpose(rawValue: 5)
    public static let latent = RNGPurpose(rawValue: 6)
    public static let viewNoise1 = RNGPurpose(rawValue: 7)
    public static let viewNoise2 = RNGPurpose(rawValue: 8)
    public static let loadings1 = RNGPurpose(rawValue: 9)
    public static let loadings2 = RNGPurpose(rawValue: 10)
    public static let latentClass = RNGPurpose(rawValue: 11)
    public static let imageToken = RNGPurpose(rawValue: 12)
    public static let textToken = RNGPurpose(rawValue: 13)
    public static let augmentationToken = RNGPurpose(rawValue: 14)
    public static let tokenAssignment = RNGPurpose(rawValue: 15)
    public static let tokenWeights = RNGPurpose(rawValue: 16)
    public static let shuffle = RNGPurpose(rawValue: 17)
    /// The fixed evaluation subset of a training set (`EvaluationSubset`).
    public static let evaluationSubset = RNGPurpose(rawValue: 18)
    /// A colored-digits sample's color (`ColoredDigits`).
    public static let colorAssignment = RNGPurpose(rawValue: 24)
    /// A colored-digits sample's label noise (`ColoredDigits`).
    public static let labelNoise = RNGPurpose(rawValue: 25)
    /// Encoder weight initialisation (InfoMax / Training).
    public static let encoderInit = RNGPurpose(rawValue: 64)
    /// Downstream probe initialisation / splits (Evaluation).
    public static let probe = RNGPurpose(rawValue: 65)
}
