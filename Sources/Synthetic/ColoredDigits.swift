// Synthetic/ColoredDigits.swift — a synthetic counterpart of Huang et al.'s Table 1
// (ColoredMNIST): K digit classes, an image of three patches [shape, color, noise] whose color
// agrees with the digit with probability `agreement` in training and follows a shifted pairing
// at test, noisy labels, and an ideal text (one-hot of digit and color). Every value is a pure
// function of (seed, split, i[, draw]); rows go into caller matrices.
import Linalg

/// The colored-digits model. An image row is `patches · d` Floats: patch 0 is the digit's
/// shape `shapeNorm · e_digit`, patch 1 the color `colorNorm · e_{K + color}`, patch 2 the
/// sample's noise ξ ~ N(0, σ_p² I_d). A text row (2K Floats) is `textNorm` times the one-hot
/// of the digit (entries 0..<K) plus that of the color (entries K..<2K).
public struct ColoredDigits: Codable, Equatable, Sendable {
    /// How a sample's color is drawn from its digit.
    public enum Colors: String, Codable, CaseIterable, Sendable {
        /// Color = digit with probability `agreement`, else one of the other K − 1 colors
        /// uniformly (the training distribution).
        case aligned
        /// Color = digit + 1 (mod K) with probability `agreement`, else one of the other
        /// colors uniformly: the training pairing swapped for another one, so a classifier
        /// that reads the color is wrong on about `agreement` of the samples.
        case swapped
        /// Color uniform over the K colors, independent of the digit.
        case independent
    }

    /// Patches per image row (shape, color, noise).
    public static let patches = 3

    /// Number of samples; indices are 0..<n.
    public var n: Int
    /// Digit classes K (and colors).
    public var classes: Int
    /// Patch dimension d, at least 2K (the shape and color axes are distinct).
    public var d: Int
    /// ‖shape‖.
    public var shapeNorm: Float
    /// ‖color‖.
    public var colorNorm: Float
    /// Noise standard deviation σ_p of patch 2.
    public var sigmaP: Float
    /// Scale of the text one-hots.
    public var textNorm: Float
    /// P(color follows the pairing of `colors`).
    public var agreement: Double
    /// How colors are drawn.
    public var colors: Colors
    /// P(label ≠ digit): the label is then one of the other K − 1 classes uniformly.
    public var labelNoise: Double
    /// Standard deviation of the single-modal augmentation noise, added to the shape and
    /// noise patches (never to the color).
    public var augmentationSigma: Float
    /// The key of every random stream of this data set.
    public var seed: UInt64
    /// Mixed into every stream, so train and test samples never coincide.
    public var split: DataSplit

    public init(
        n: Int, classes: Int = 10, d: Int = 200, shapeNorm: Float = 5, colorNorm: Float = 5, sigmaP: Float = 1,
        textNorm: Float = 5, agreement: Double = 0.775, colors: Colors = .aligned, labelNoise: Double = 0.1,
        augmentationSigma: Float = 0.1, seed: UInt64 = 0, split: DataSplit = .train
    ) {
        self.n = n
        self.classes = classes
        self.d = d
        self.shapeNorm = shapeNorm
        self.colorNorm = colorNorm
        self.sigmaP = sigmaP
        self.textNorm = textNorm
        self.agreement = agreement
        self.colors = colors
        self.labelNoise = labelNoise
        self.augmentationSigma = augmentationSigma
        self.seed = seed
        self.split = split
    }

    /// Floats per image row.
    public var imageWidth: Int { Self.patches * d }
    /// Floats per text row.
    public var textWidth: Int { 2 * classes }

    /// Checks every parameter; the error names the parameter and its allowed range.
    public func validate() throws {
        let model = "ColoredDigits"
        try require(n >= 1, model, "n", ">= 1", n)
        try require(classes >= 2, model, "classes", ">= 2", classes)
        try require(d >= 2 * classes, model, "d", ">= 2 · classes = \(2 * classes)", d)
        for (name, v) in [("shapeNorm", shapeNorm), ("colorNorm", colorNorm), ("textNorm", textNorm)] {
            try require(v >= 0 && v.isFinite, model, name, ">= 0 and finite", v)
        }
        try require(sigmaP >= 0 && sigmaP.isFinite, model, "sigmaP", ">= 0 and finite", sigmaP)
        try require(agreement >= 0 && agreement <= 1, model, "agreement", "in [0, 1]", agreement)
        try require(labelNoise >= 0 && labelNoise <= 1, model, "labelNoise", "in [0, 1]", labelNoise)
        try require(
            augmentationSigma >= 0 && augmentationSigma.isFinite, model, "augmentationSigma", ">= 0 and finite",
            augmentationSigma)
    }

    // MARK: per-sample draws

    /// Two (0, 1) uniforms of stream (purpose, split, i).
    @inline(__always)
    func uniforms(_ purpose: RNGPurpose, _ i: Int) -> (Double, Double) {
        let w = CounterRNG(seed: seed, purpose: purpose, split: split, item: i).block(0)
        return (uniformDouble(UInt64(w[0]) | UInt64(w[1]) << 32), uniformDouble(UInt64(w[2]) | UInt64(w[3]) << 32))
    }

    /// `target` with probability p, else one of the other K − 1 classes uniformly (u2 picks it).
    @inline(__always)
    func keepOrOther(_ target: Int, p: Double, _ u: (Double, Double)) -> Int {
        if u.0 < p || classes < 2 { return target }
        let shift = 1 + min(Int(u.1 * Double(classes - 1)), classes - 2)
        return (target + shift) % classes
    }

    /// The digit of sample i, uniform over 0..<K.
    public func digit(of i: Int) -> Int {
        let u = uniforms(.latentClass, i).0
        return min(Int(u * Double(classes)), classes - 1)
    }

    /// The color of sample i (see `Colors`).
    public func color(of i: Int) -> Int {
        let u = uniforms(.colorAssignment, i)
        let y = digit(of: i)
        switch colors {
        case .aligned: return keepOrOther(y, p: agreement, u)
        case .swapped: return keepOrOther((y + 1) % classes, p: agreement, u)
        case .independent: return min(Int(u.0 * Double(classes)), classes - 1)
        }
    }

    /// The (noisy) label of sample i: the digit with probability 1 − labelNoise.
    public func label(of i: Int) -> Int {
        keepOrOther(digit(of: i), p: 1 - labelNoise, uniforms(.labelNoise, i))
    }

    // MARK: generation into caller matrices

    /// Labels of `indices` into `labels` (capacity reused).
    public func fillLabels<C: Collection>(_ indices: C, into labels: inout [Int]) throws where C.Element == Int {
        try checkIndices(indices, n: n, model: "ColoredDigits")
        labels.removeAll(keepingCapacity: true)
        for i in indices { labels.append(label(of: i)) }
    }

    /// Image rows [shape, color, ξ] of `indices` into `x` (indices.count × imageWidth).
    public func fillImages<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try checkIndices(indices, n: n, model: "ColoredDigits")
        let d = d
        let width = imageWidth
        x.reshape(rows: indices.count, cols: width)
        x.storage.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                let row = p.baseAddress! + r * width
                row.update(repeating: 0, count: 2 * d)
                row[digit(of: i)] = shapeNorm
                row[d + classes + color(of: i)] = colorNorm
                gaussianKernel(
                    row + 2 * d, count: d, sigma: sigmaP, seed: seed,
                    stream: StreamID(purpose: .imageNoise, split: split, item: i))
            }
        }
    }

    /// Augmented image rows for augmentation draw `draw`: the image with fresh
    /// N(0, augmentationSigma²) noise added to its shape and noise patches; the color is kept.
    public func fillAugmentedImages<C: Collection>(_ indices: C, draw: Int, into x: inout Matrix<Float>) throws
    where C.Element == Int {
        var scratch: [Float] = []
        try fillAugmentedImages(indices, draw: draw, into: &x, scratch: &scratch)
    }

    /// `fillAugmentedImages` with a caller-kept scratch row (no allocation once it has 2d values).
    public func fillAugmentedImages<C: Collection>(
        _ indices: C, draw: Int, into x: inout Matrix<Float>, scratch eps: inout [Float]
    ) throws where C.Element == Int {
        try fillImages(indices, into: &x)
        guard augmentationSigma > 0 else { return }
        let d = d
        let width = imageWidth
        if eps.count != 2 * d { eps = [Float](repeating: 0, count: 2 * d) }
        x.storage.withUnsafeMutableBufferPointer { p in
            eps.withUnsafeMutableBufferPointer { e in
                for (r, i) in indices.enumerated() {
                    gaussianKernel(
                        e.baseAddress!, count: 2 * d, sigma: augmentationSigma, seed: seed,
                        stream: StreamID(purpose: .augmentation, split: split, item: i, draw: draw))
                    let row = p.baseAddress! + r * width
                    for k in 0..<d {
                        row[k] += e[k]
                        row[2 * d + k] += e[d + k]
                    }
                }
            }
        }
    }

    /// Text rows of `indices` into `x` (indices.count × 2K): textNorm · (e_digit + e_{K + color}).
    public func fillTexts<C: Collection>(_ indices: C, into x: inout Matrix<Float>) throws where C.Element == Int {
        try checkIndices(indices, n: n, model: "ColoredDigits")
        let width = textWidth
        x.reshape(rows: indices.count, cols: width)
        x.storage.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                let row = p.baseAddress! + r * width
                row.update(repeating: 0, count: width)
                row[digit(of: i)] = textNorm
                row[classes + color(of: i)] = textNorm
            }
        }
    }
}
