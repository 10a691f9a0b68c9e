// Training/MemoryModel.swift — the arithmetic behind MemoryEstimate for one modality: mirrors how
// the problems, the distributed loss (whose plan reports its own buffers), the trainer, the
// diagnostics and the probe allocate, component by component, overflow-checked.
import InfoMax
import Synthetic

/// The arithmetic behind `MemoryEstimate` for one modality: mirrors how the problems, the
/// distributed loss, the trainer, the diagnostics and the probe allocate.
struct MemoryModel {
    let c: TrainConfig
    let multi: Bool
    let P: Int
    let rank: Int
    let purpose: MemoryEstimate.Purpose

    static let float = MemoryLayout<Float>.stride, double = MemoryLayout<Double>.stride, int = MemoryLayout<Int>.stride
    /// `infomax bench` measures the sgemm peak on three 2048 × 2048 Float matrices first.
    static let benchSgemmBytes = 3 * 2048 * 2048 * float

    init(config: TrainConfig, mode: ModalityMode, ranks: Int, rank: Int, purpose: MemoryEstimate.Purpose) {
        c = config
        multi = mode != .singleModal
        P = max(ranks, 1)
        self.rank = min(max(rank, 0), max(ranks, 1) - 1)
        self.purpose = purpose
    }

    /// Samples of `count` that this rank holds (Shard's contiguous blocks).
    func share(_ count: Int) -> Int { Shard.block(count: max(count, 0), part: rank, parts: P).count }
    /// The largest share of any rank.
    func largestShare(_ count: Int) -> Int { Shard.block(count: max(count, 0), part: 0, parts: P).count }

    typealias Part = MemoryEstimate.Component
    func part(_ name: String, _ keys: [String], _ bytes: ByteCount, _ phase: MemoryEstimate.Phase = .resident) -> Part {
        Part(name: name, keys: keys, bytes: bytes, phase: phase)
    }

    /// The model's shapes: input widths of the two views, embedding width k of the loss,
    /// feature width of the probe, parameter count, and the keys that set them.
    struct Shapes {
        var input1: Int, input2: Int
        var k: ByteCount  // elements per embedding row (overflow-checked)
        var kValue: Int
        var featureWidth: Int
        var parameters: ByteCount
        var inputKeys: [String]
        var parameterKeys: [String]
    }

    func shapes() -> Shapes {
        let m = c.encoder.width
        switch c.model {
        case .signalNoise:
            let d = c.signalNoise.d
            let row = ByteCount.product(SignalNoise.Modality.patches, d).value ?? Int.max
            let k = c.loss.patchwise ? ByteCount.product(SignalNoise.Modality.patches, m) : ByteCount(m)
            return Shapes(
                input1: row, input2: row, k: k, kValue: k.value ?? Int.max, featureWidth: m,
                parameters: ByteCount.product(m, d, multi ? 2 : 1),
                inputKeys: [ConfigKey.signalNoiseD.path],
                parameterKeys: [ConfigKey.encoderWidth.path, ConfigKey.signalNoiseD.path])
        case .latentLinear:
            let l = c.latentLinear
            return Shapes(
                input1: l.d1, input2: l.d2, k: ByteCount(m), kValue: m, featureWidth: m,
                parameters: ByteCount.product(m, l.d1) + ByteCount.product(m, l.d2),
                inputKeys: [ConfigKey.latentLinearD1.path, ConfigKey.latentLinearD2.path],
                parameterKeys: [
                    ConfigKey.encoderWidth.path, ConfigKey.latentLinearD1.path, ConfigKey.latentLinearD2.path,
                ])
        case .cooccurrence:
            let o = c.cooccurrence
            return Shapes(
                input1: o.imageVocabulary, input2: o.textVocabulary, k: ByteCount(m), kValue: m, featureWidth: m,
                parameters: ByteCount.product(m, o.imageVocabulary)
                    + (multi ? ByteCount.product(m, o.textVocabulary) : .zero),
                inputKeys: [ConfigKey.cooccurrenceImageVocabulary.path, ConfigKey.cooccurrenceTextVocabulary.path],
                parameterKeys: [
                    ConfigKey.encoderWidth.path, ConfigKey.cooccurrenceImageVocabulary.path,
                    ConfigKey.cooccurrenceTextVocabulary.path,
                ])
        case .colored:
            // Image rows [shape, color, noise] (3d) through one m × d ReLU encoder (summed
            // output); the text (2K one-hots) through an m × 2K one.
            let o = c.colored
            let row = ByteCount.product(ColoredDigits.patches, o.d).value ?? Int.max
            return Shapes(
                input1: row, input2: multi ? 2 * o.classes : row, k: ByteCount(m), kValue: m, featureWidth: m,
                parameters: ByteCount.product(m, o.d) + (multi ? ByteCount.product(m, 2, o.classes) : .zero),
                inputKeys: [ConfigKey.coloredD.path],
                parameterKeys: [ConfigKey.encoderWidth.path, ConfigKey.coloredD.path, ConfigKey.coloredClasses.path])
        }
    }

    func components() -> [Part] {
        let f = Self.float
        let int = Self.int
        let s = shapes()
        let n = c.trainSamples
        let B = c.batchSize == 0 ? n : c.batchSize
        let b = share(B)
        let maxb = largestShare(B)
        let batchKeys = c.batchSize == 0 ? [ConfigKey.trainSamples.path] : [ConfigKey.batchSize.path]
        let m = c.encoder.width
        var parts: [Part] = []

        // The model: encoder weights and their gradient matrices, the trainer's flat
        // parameters, the optimizer's moments, the gradient exchange (the fused gradient: the
        // optimizer reads it there).
        let moments: Int
        switch c.optimizer.kind {
        case .sgd: moments = c.optimizer.momentum > 0 ? 1 : 0
        case .adam: moments = 2
        }
        let params = s.parameters
        parts.append(
            part("encoders' weights, gradients and optimizer state", s.parameterKeys, params * ((3 + moments) * f)))
        if let pv = params.value {
            // The trainer's gradient exchange: the flat buffer the encoders' parts are reduced in
            // (+ the stop element) and, over several ranks, each part's ring scratch.
            parts.append(
                part(
                    P > 1 ? "gradient all-reduce buffer and scratch" : "gradient all-reduce buffer", s.parameterKeys,
                    ByteCount.product(pv + 1 + (P > 1 ? pv / P + 2 : 0), f)))
        }

        // A step's data: both views of the local batch (one-hot rows for co-occurrence), labels.
        var data: ByteCount
        switch c.model {
        case .signalNoise:
            data = ByteCount.product(2, b, s.input1, f) + (multi ? .zero : ByteCount.product(c.signalNoise.d, f))
            data = data + ByteCount.product(b, f + int)
        case .latentLinear:
            data =
                ByteCount.product(b, s.input1, f) + ByteCount.product(b, s.input2, f)
                + ByteCount.product(b, c.latentLinear.latentDim, f)
        case .cooccurrence:
            data = ByteCount.product(b, s.input1, f) + ByteCount.product(b, s.input2, f) + ByteCount.product(b, int)
            if !multi { data = data + ByteCount.product(b, s.input1, f) }
        case .colored:
            // Both views, the labels, the augmentation's noise row (2d).
            data =
                ByteCount.product(b, s.input1, f) + ByteCount.product(b, s.input2, f) + ByteCount.product(b, int)
                + ByteCount.product(2, c.colored.d, f)
        }
        parts.append(part("a step's input batch (both views)", batchKeys + s.inputKeys, data))

        // Activations: the ReLU encoders keep pre-activations and a backward scratch of
        // (b·P) × m per view; every model holds the two embeddings h, g (b × k).
        var activations = ByteCount.product(2, b, s.kValue, f)
        if c.model == .signalNoise {
            activations = activations + ByteCount.product(2, 2, SignalNoise.Modality.patches, b, m, f)
        } else if c.model == .colored {
            // Pre-activations and backward scratch of the image encoder (3 patches) and of the
            // second view's (the text's single patch, or the augmentation's 3).
            let second = multi ? 1 : ColoredDigits.patches
            activations = activations + ByteCount.product(2, ColoredDigits.patches + second, b, m, f)
        }
        parts.append(part("encoder activations and embeddings", batchKeys + [ConfigKey.encoderWidth.path], activations))

        parts.append(contentsOf: lossParts(s: s, B: B, b: b, maxb: maxb, batchKeys: batchKeys))

        // The trainer's step indices: the local batch only (the epoch shuffle is a Feistel
        // bijection computed per index, no table of n).
        parts.append(part("batch indices", batchKeys, ByteCount.product(b, int)))

        parts.append(contentsOf: tableParts(s: s))
        if purpose == .bench {
            parts.append(
                part(
                    "bench: sgemm peak measurement (3 × 2048² floats)", [], ByteCount(Self.benchSgemmBytes), .benchSetup
                ))
            return parts
        }
        parts.append(contentsOf: diagnosticParts(s: s))
        parts.append(contentsOf: probeParts(s: s))

        // Checkpoint (format 2, raw Float32): rank 0's keeper holds a copy of the last completed
        // step (parameters and moments) for the whole run; writing encodes the body and the
        // file image (and may double the keeper's copy, see checkpointWriteBytesPerValue).
        // A resumed run decodes before the model exists (set-up) and keeps the decoded state
        // (every rank), which the first update copies away from: one more copy held.
        let saved = params * (1 + moments)
        if rank == 0 {
            parts.append(
                part("checkpoint keeper: copy of the last completed step (rank 0)", s.parameterKeys, saved * f))
            parts.append(
                part(
                    "checkpoint writing (binary, rank 0)", s.parameterKeys,
                    saved * MemoryEstimate.checkpointWriteBytesPerValue, .checkpoint))
        }
        parts.append(part("resumed checkpoint's decoded copy (on --resume)", s.parameterKeys, saved * f, .checkpoint))
        parts.append(
            part(
                "checkpoint decoding on --resume", s.parameterKeys,
                saved * MemoryEstimate.checkpointDecodeBytesPerValue(rank: rank), .setup))
        return parts
    }

    /// The distributed loss: the buffers its plan reports (LossPlanner decides the plan, as the
    /// problems' loss does): gathered candidates (all-gather) or ring blocks, the logits block
    /// or the fused plans' held logits, the gradients of both directions, cosine copies, the
    /// gathered labels.
    func lossParts(s: Shapes, B: Int, b: Int, maxb: Int, batchKeys: [String]) -> [Part] {
        let symmetric = multi && c.loss.symmetric
        var loss = ProblemSupport.contrastiveLoss(
            c.loss, width: c.encoder.width, labelledByDefault: c.model == .signalNoise)
        let opposite = loss.needsCandidates && loss.negatives == .oppositeLabel && c.model != .latentLinear
        loss.negatives = opposite ? .oppositeLabel : .allOthers
        let kind = LossPlanner.kind(of: loss, exchange: c.loss.exchange, symmetric: symmetric)
        let shape = LossShape(
            loss: loss, symmetric: symmetric, b: b, B: B, maxb: maxb, k: s.kValue, P: P, scalarBytes: Self.float)
        return kind.workspace(shape).map { lossPart($0, batchKeys: batchKeys) }
    }

    /// A loss plan's buffer as a component (its sum of products overflow-checked).
    func lossPart(_ buffer: LossBuffer, batchKeys: [String]) -> Part {
        part(
            buffer.name, buffer.global ? batchKeys + [ConfigKey.encoderWidth.path] : batchKeys,
            buffer.terms.reduce(ByteCount.zero) { $0 + ByteCount.product(of: $1) })
    }

    /// The data models' own tables (mixing matrices, co-occurrence tables, resampling lists).
    func tableParts(s: Shapes) -> [Part] {
        let f = Self.float
        let dbl = Self.double
        let int = Self.int
        switch c.model {
        case .signalNoise, .colored:
            return []
        case .latentLinear:
            let l = c.latentLinear
            // Train, probe-train and probe-test samplers each hold A1 (d1 × r) and A2 (d2 × r).
            return [
                part(
                    "latent-linear mixing matrices (3 samplers)",
                    [
                        ConfigKey.latentLinearD1.path, ConfigKey.latentLinearD2.path,
                        ConfigKey.latentLinearLatentDim.path,
                    ],
                    (ByteCount.product(l.d1, l.latentDim, f) + ByteCount.product(l.d2, l.latentDim, f)) * 3)
            ]
        case .cooccurrence:
            let o = c.cooccurrence
            let vi = o.imageVocabulary
            let vt = o.textVocabulary
            let keys = [ConfigKey.cooccurrenceImageVocabulary.path, ConfigKey.cooccurrenceTextVocabulary.path]
            var parts = [
                part(
                    "co-occurrence tables (conditionals, CDFs; 3 samplers)",
                    keys + [ConfigKey.cooccurrenceClasses.path],
                    ByteCount.product(3, 2, o.classes, vi + vt, dbl)),
                part(
                    "co-occurrence reference subspace", keys + [ConfigKey.encoderWidth.path],
                    ByteCount.product(vi, min(c.encoder.width, vi, vt), dbl) + ByteCount.product(vi, dbl)),
            ]
            // Set-up: the joint and normalised matrices and their SVD (copy, U, Vᵀ, LAPACK work).
            let mn = min(vi, vt)
            parts.append(
                part(
                    "co-occurrence SVD at set-up", keys,
                    ByteCount.product(4, vi, vt, dbl) + ByteCount.product(vi, mn, dbl)
                        + ByteCount.product(5, mn, mn, dbl), .setup))
            if !multi && o.positives == .resampled {
                parts.append(
                    part(
                        "resampled positives: every sample's tokens", [ConfigKey.trainSamples.path],
                        ByteCount.product(3, c.trainSamples, int)))
            }
            if !multi && o.needsGuide {
                // The masked loss (gathered candidates and their gradient, two results, a logits
                // block) and the guide's choices: the global batch's indices, tokens and guide
                // rows, each local anchor's neighbour and dropped candidates.
                let B = c.batchSize == 0 ? c.trainSamples : c.batchSize
                let b = share(B)
                let k = c.encoder.width
                let batchKeys = [
                    c.batchSize == 0 ? ConfigKey.trainSamples.path : ConfigKey.batchSize.path,
                    ConfigKey.encoderWidth.path,
                ]
                let drops = GuideSelection.dropCount(o.negativesDrop, fraction: o.dropFraction, globalRows: B)
                let loss = ProblemSupport.contrastiveLoss(c.loss, width: k, labelledByDefault: false)
                let shape = LossShape(loss: loss, symmetric: false, b: b, B: B, maxb: b, k: k, P: P, scalarBytes: f)
                parts += LossPlanKind.masked.workspace(shape).map { lossPart($0, batchKeys: [batchKeys[0]]) }
                parts.append(
                    part(
                        "guide: the global batch's tokens and guide rows, neighbours and drops",
                        batchKeys + [ConfigKey.cooccurrenceNegativesDrop.path],
                        ByteCount.product(3, B, int) + ByteCount.product(B, k, f) + ByteCount.product(b, drops + 2, int)
                    ))
                if o.positivesDrop != .none {
                    parts.append(
                        part(
                            "guide: the batch's positive-pair similarities and guide rows (DropFalsePositive)",
                            batchKeys + [ConfigKey.cooccurrencePositivesDrop.path],
                            ByteCount.product(B, Self.double) + ByteCount.product(2, b, k, f)))
                }
            }
            return parts
        }
    }

    /// Diagnostics at a logged step.
    func diagnosticParts(s: Shapes) -> [Part] {
        let f = Self.float
        let dbl = Self.double
        let m = c.encoder.width
        switch c.model {
        case .signalNoise:
            // Noise memorization over this rank's part of the evaluation subset (K =
            // diagnostics_samples of the n samples, or all n when K = 0 or K ≥ n), in chunks
            // of 4096 rows: their indices, noise and W·ξ, and the signal vectors.
            let n = c.trainSamples
            let k = c.diagnosticsSamples
            let evaluated = (k == 0 || k >= n) ? n : k
            let rows = min(4096, share(evaluated))
            let d = c.signalNoise.d
            let keys = [ConfigKey.signalNoiseD.path, ConfigKey.encoderWidth.path, ConfigKey.diagnosticsSamples.path]
            var parts = [
                part(
                    "diagnostics: noise chunk (≤ 4096 rows of the subset) and projections", keys,
                    ByteCount.product(rows, d, f) + ByteCount.product(2, rows, m, f)
                        + ByteCount.product(rows, Self.int) + ByteCount.product(2, d, f), .diagnostics)
            ]
            guard rank == 0 else { return parts }
            // Rank 0's γ, ρ decomposition (SignalNoiseDecomposition), one per encoder, kept from
            // the first logged row on: the projector G⁻¹·V ((K+1) × d), ΔW (m × d) and the
            // coefficients ((K+1) × m), in Double. Building one holds the subset's noise rows
            // (K × d Float), their indices and the Gram matrix ((K+1)², twice when K + 1 > d
            // forces the ridge path, which forms G again before the first is freed).
            let encoders = multi ? 2 : 1
            let gram = ByteCount.product(evaluated + 1 > d ? 2 : 1, evaluated + 1, evaluated + 1, dbl)
            parts.append(
                part(
                    "diagnostics: γ, ρ decompositions (rank 0, Double)", keys,
                    ByteCount.product(encoders, evaluated + 1, d, dbl) + ByteCount.product(encoders, m, d, dbl)
                        + ByteCount.product(encoders, evaluated + 1, m, dbl)))
            parts.append(
                part(
                    "diagnostics: building one: noise rows, Gram (rank 0)", keys,
                    ByteCount.product(evaluated, d, f) + ByteCount.product(evaluated, Self.int) + gram,
                    .diagnostics))
            return parts
        case .latentLinear:
            let l = c.latentLinear
            return [
                part(
                    "diagnostics: condition number (Double copies)",
                    [ConfigKey.encoderWidth.path, ConfigKey.latentLinearD1.path],
                    ByteCount.product(m, l.d1, dbl) + ByteCount.product(l.d1, l.latentDim, dbl)
                        + ByteCount.product(3, m, l.latentDim, dbl),
                    .diagnostics)
            ]
        case .cooccurrence:
            let vi = c.cooccurrence.imageVocabulary
            return [
                part(
                    "diagnostics: subspace alignment (Wᵀ, its SVD)",
                    [ConfigKey.cooccurrenceImageVocabulary.path, ConfigKey.encoderWidth.path],
                    ByteCount.product(vi, m, f) + ByteCount.product(5, vi, m, dbl), .diagnostics)
            ]
        case .colored:
            return []
        }
    }

    /// The downstream probe: every rank encodes its shard of the probe sets; rank 0 gathers
    /// the features and labels and fits the logistic regression on Double copies.
    func probeParts(s: Shapes) -> [Part] {
        let f = Self.float
        let dbl = Self.double
        let int = Self.int
        let w = s.featureWidth
        let m = c.encoder.width
        let keys = [ConfigKey.probeTrainSamples.path, ConfigKey.testSamples.path]
        // Bytes per encoded sample while a shard is encoded: its input row(s), the features,
        // the labels (and the ReLU encoder's pre-activations and output).
        let perSample: ByteCount
        switch c.model {
        case .signalNoise:
            perSample =
                ByteCount.product(s.input1, f) + ByteCount.product(SignalNoise.Modality.patches + 1, m, f)
                + ByteCount(f + 2 * int)
        case .latentLinear:
            perSample =
                ByteCount.product(s.input1 + s.input2 + c.latentLinear.latentDim, f) + ByteCount.product(w, f)
                + ByteCount(2 * int)
        case .cooccurrence:
            perSample =
                ByteCount.product(s.input1, f) + ByteCount.product(s.input2, f) + ByteCount.product(w, f)
                + ByteCount(3 * int)
        case .colored:
            perSample =
                ByteCount.product(s.input1, f) + ByteCount.product(ColoredDigits.patches + 1, m, f)
                + ByteCount(3 * int)
        }
        let shard = max(share(c.probeTrainSamples), share(c.testSamples))
        let encode = perSample * shard
        guard rank == 0 else {
            return [part("probe: encoding this rank's shard of the probe sets", keys + s.inputKeys, encode, .probe)]
        }
        // Rank 0 encodes the test shard while it holds the gathered training features, and
        // fits the probe after the encoders' temporaries are freed: the larger of the two.
        let nt = c.probeTrainSamples
        let ne = c.testSamples
        let classes =
            c.model == .cooccurrence ? c.cooccurrence.classes : c.model == .colored ? c.colored.classes : 2
        // Gathered features (Float) and labels (Int64 + Int).
        let gatheredTrain = ByteCount.product(nt, w, f) + ByteCount.product(nt, 2 * int)
        let gathered = gatheredTrain + ByteCount.product(ne, w, f) + ByteCount.product(ne, 2 * int)
        // The fit: standardised Double copy, [X, 1], the SVD's copy and work, logits.
        let fit =
            ByteCount.product(nt, w, dbl) + ByteCount.product(2, nt, w + 1, dbl)
            + ByteCount.product(nt, classes, dbl) + ByteCount.product(7, min(nt, w + 1), dbl)
            + ByteCount.product(2, max(nt, ne), classes, dbl)
        if gathered + fit < encode + gatheredTrain {
            return [
                part("probe: encoding this rank's shard of the probe sets", keys + s.inputKeys, encode, .probe),
                part(
                    "probe: gathered training features (rank 0)", keys + [ConfigKey.encoderWidth.path], gatheredTrain,
                    .probe),
            ]
        }
        return [
            part(
                "probe: gathered features and the fit (rank 0)", keys + [ConfigKey.encoderWidth.path], gathered + fit,
                .probe)
        ]
    }
}
