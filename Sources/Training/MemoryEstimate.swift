// Training/MemoryEstimate.swift — how much memory one rank of a run will need at its peak,
// computed from the configuration alone (before anything is allocated) with overflow-checked
// arithmetic, as named components that each say which config keys drive them: the data
// buffers of a step, the encoders' activations, the candidates and logits of the distributed
// loss, the model with its gradients and optimizer state, rank 0's checkpoint keeper, the
// batch indices, the data model's tables, the diagnostics (over their bounded subset), the
// downstream probe and the checkpoint's binary encoding and decoding.
import InfoMax
import RunRecords
import Synthetic

/// A byte count that cannot overflow: `nil` stands for "more than Int.max bytes".
public struct ByteCount: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// The bytes, or nil when the true value exceeds Int.max.
    public let value: Int?

    public init(_ value: Int?) { self.value = value.flatMap { $0 >= 0 ? $0 : nil } }

    public static let zero = ByteCount(0)
    /// More than Int.max bytes.
    public static let overflow = ByteCount(nil)

    /// The product of sizes (elements, bytes per element, ...), nil on overflow.
    public static func product(_ factors: Int...) -> ByteCount {
        var p = 1
        for f in factors {
            guard f >= 0 else { return .overflow }
            let (r, o) = p.multipliedReportingOverflow(by: f)
            if o { return .overflow }
            p = r
        }
        return ByteCount(p)
    }

    public static func + (l: ByteCount, r: ByteCount) -> ByteCount {
        guard let a = l.value, let b = r.value else { return .overflow }
        let (s, o) = a.addingReportingOverflow(b)
        return o ? .overflow : ByteCount(s)
    }

    public static func * (l: ByteCount, r: Int) -> ByteCount {
        guard let a = l.value else { return .overflow }
        return product(a, r)
    }

    public static func < (l: ByteCount, r: ByteCount) -> Bool {
        switch (l.value, r.value) {
        case let (a?, b?): return a < b
        case (_?, nil): return true
        default: return false
        }
    }

    /// Decimal units: "22.1 GB", "3.7 TB", "512 B"; "more than 9.2 EB" on overflow.
    public var description: String {
        guard let v = value else { return "more than \(ByteCount.format(Double(Int.max))) (the size overflows a 64-bit integer)" }
        return ByteCount.format(Double(v))
    }

    /// `bytes` in decimal units with three significant digits.
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var x = bytes, i = 0
        while x >= 1000 && i < units.count - 1 { x /= 1000; i += 1 }
        if i == 0 { return "\(Int(x)) B" }
        return (x >= 100 ? String(Int(x.rounded())) : x >= 10 ? trim(x, 1) : trim(x, 2)) + " " + units[i]
    }

    private static func trim(_ x: Double, _ digits: Int) -> String {
        let scale = digits == 1 ? 10.0 : 100.0
        let r = (x * scale).rounded() / scale
        var s = "\(r)"
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

/// One rank's estimated peak memory for a configuration, by component.
///
/// The peak is `baseline + Σ resident + max(transient groups)`: resident components live from
/// the first training step to the end of a run (model, optimizer, step buffers, tables);
/// transient ones come and go at evaluation, set-up or checkpoint time, one group at a time.
/// With `mode = compare` the two modalities train one after the other, so the estimate is the
/// larger of the two. Every product is overflow-checked: a size beyond Int.max makes the total
/// `ByteCount.overflow`, never a trap.
public struct MemoryEstimate: Sendable {
    /// When a component is held.
    public enum Phase: String, Sendable {
        /// From the first step to the end of the run.
        case resident
        /// During diagnostics (every logged step).
        case diagnostics
        /// During the downstream probe (every evaluated step and at the end).
        case probe
        /// While the problem is built (data model tables computed once, a resumed checkpoint's
        /// decoding; freed before the first step).
        case setup
        /// While a checkpoint is encoded (rank 0), and the decoded copy a resumed run keeps.
        case checkpoint
        /// `infomax bench` only: the sgemm peak measurement, before the problem exists.
        case benchSetup
    }

    /// One named part of the estimate.
    public struct Component: Sendable {
        /// What it holds, e.g. "encoders' weights, gradients and optimizer state".
        public let name: String
        /// The config keys whose values drive its size (the message names the one most
        /// above its default).
        public let keys: [String]
        public let bytes: ByteCount
        public let phase: Phase
    }

    /// What the estimate is for: a training run (with evaluation and checkpoints) or the
    /// step benchmark (training steps only, plus its sgemm measurement).
    public enum Purpose: Sendable { case train, bench }

    /// The process's resident memory before any work: the Swift runtime, Open MPI (its
    /// shared-memory transport) and OpenBLAS's buffers. Measured on the smallest run
    /// (`infomax train`, d 8, width 1, 4 samples, 2 ranks, release build): peak RSS 38.7 MB
    /// and 46.0 MB (rank 0, which also writes the report); `infomax bench` at that size:
    /// 92.5 MB = this + its 50.3 MB sgemm measurement. See README "Memory".
    public static let baselineBytes = 40_000_000

    /// Bytes per saved value (parameter or optimizer moment) while rank 0 writes a checkpoint
    /// (format 2, raw Float32): the encoded body and the file image it is appended to, 2 × 4 B,
    /// plus a second copy of the keeper's snapshot when the watchdog thread writes while the
    /// loop publishes the next step, 4 B. Measured on a single-modal run with 10⁷ parameters
    /// (d 10000, width 1000, 1 rank): see README "Memory".
    public static let checkpointWriteBytesPerValue = 12

    /// Bytes per saved value while a resumed run decodes its checkpoint, before the model is
    /// built: rank 0 reads the file and verifies it (file, body copy, arrays), then every rank
    /// decodes the broadcast bytes (the bytes, their Data copy, the body copy, the arrays);
    /// at most 5 × 4 B on rank 0, 4 × 4 B on the others.
    public static func checkpointDecodeBytesPerValue(rank: Int) -> Int { rank == 0 ? 20 : 16 }

    public let rank: Int
    public let ranks: Int
    public let purpose: Purpose
    /// The modality whose estimate this is (compare: the larger of the two).
    public let mode: ModalityMode
    /// True when `mode` is the multi-modal guide run a guided single-modal run trains first.
    public let isGuideRun: Bool
    public let components: [Component]

    /// The estimate for `rank` of `ranks` (compare mode: the larger modality; a guided
    /// single-modal run without `cooccurrence.guide_run` trains its guide, the multi-modal run,
    /// first in the same processes: the larger of the two).
    public init(config: TrainConfig, ranks: Int, rank: Int, purpose: Purpose = .train) {
        var modes: [ModalityMode] = config.mode == .compare ? [.multiModal, .singleModal] : [config.mode]
        if config.mode == .singleModal && config.model == .cooccurrence && config.cooccurrence.needsGuide
            && config.cooccurrence.guideRun.isEmpty {
            modes.append(.multiModal)
        }
        var best: (ModalityMode, [Component])? = nil
        var bestTotal = ByteCount.zero
        for m in modes {
            let parts = MemoryModel(config: config, mode: m, ranks: ranks, rank: rank, purpose: purpose).components()
            let total = MemoryEstimate.total(parts)
            if best == nil || bestTotal < total { best = (m, parts); bestTotal = total }
        }
        self.rank = rank
        self.ranks = ranks
        self.purpose = purpose
        self.mode = best?.0 ?? config.mode
        self.isGuideRun = config.mode == .singleModal && self.mode == .multiModal
        self.components = best?.1 ?? []
    }

    /// Baseline + resident + the largest transient group. The set-up groups (the problem's
    /// one-off tables, the bench's sgemm measurement) are freed before the first step
    /// allocates its buffers, so they count only if one exceeds all the rest.
    static func total(_ parts: [Component]) -> ByteCount {
        var resident = ByteCount.zero
        var groups: [Phase: ByteCount] = [:], before: [Phase: ByteCount] = [:]
        for c in parts {
            switch c.phase {
            case .resident: resident = resident + c.bytes
            case .setup, .benchSetup: before[c.phase, default: .zero] = before[c.phase, default: .zero] + c.bytes
            default: groups[c.phase, default: .zero] = groups[c.phase, default: .zero] + c.bytes
            }
        }
        return ByteCount(baselineBytes) + max(resident + (groups.values.max() ?? .zero), before.values.max() ?? .zero)
    }

    /// Estimated peak bytes of this rank.
    public var totalBytes: ByteCount { MemoryEstimate.total(components) }

    /// Bytes held during training steps (baseline + resident), without evaluation or set-up.
    public var residentBytes: ByteCount {
        components.filter { $0.phase == .resident }.reduce(ByteCount(MemoryEstimate.baselineBytes)) { $0 + $1.bytes }
    }

    /// The transient group that sets the peak, if any, with its bytes.
    public var largestTransient: (phase: Phase, bytes: ByteCount)? {
        var groups: [Phase: ByteCount] = [:]
        for c in components where ![.resident, .setup, .benchSetup].contains(c.phase) { groups[c.phase, default: .zero] = groups[c.phase, default: .zero] + c.bytes }
        return groups.max { $0.value < $1.value }.map { ($0.key, $0.value) }
    }

    /// The component that contributes most to the peak (resident ones, or those of the
    /// transient group that sets it).
    public var dominant: Component? {
        let peakGroup = largestTransient
        var counted = components.filter { c in
            c.phase == .resident || c.phase == peakGroup?.phase
        }
        // A set-up group that outgrows the training steps sets the peak instead.
        let during = counted.reduce(ByteCount.zero) { $0 + $1.bytes }
        for phase in [Phase.setup, .benchSetup] {
            let group = components.filter { $0.phase == phase }
            if during < group.reduce(ByteCount.zero, { $0 + $1.bytes }) { counted = group }
        }
        return counted.max { $0.bytes < $1.bytes }
    }

    /// The key of `component` whose value stands furthest above its default in `config`.
    public static func drivingKey(of component: Component, in config: TrainConfig) -> (key: String, value: String) {
        let sizes = SizeKeys(config)
        var best: (String, String, Double)? = nil
        for k in component.keys {
            guard let s = sizes.values[k] else { continue }
            let ratio = Double(s.value) / Double(max(s.defaultValue, 1))
            if let b = best, ratio <= b.2 { continue }
            best = (k, "\(s.value)", ratio)
        }
        if let best { return (best.0, best.1) }
        return (component.keys.first ?? "config", sizes.values[component.keys.first ?? ""].map { "\($0.value)" } ?? "?")
    }

    /// The estimate as a table: one line per component, the total and (if given) what is available.
    public func table(available: String? = nil) -> String {
        var lines: [String] = []
        let phaseTitle: [Phase: String] = [.resident: "held", .diagnostics: "diagnostics", .probe: "probe",
                                           .setup: "set-up", .checkpoint: "checkpoint", .benchSetup: "bench sgemm"]
        func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
            a.padding(toLength: 58, withPad: " ", startingAt: 0) + " " + b.padding(toLength: 12, withPad: " ", startingAt: 0)
                + " " + c.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + d
        }
        lines.append(row("component", "phase", "bytes", "keys"))
        lines.append(row("process baseline (Swift, Open MPI, OpenBLAS; measured)", "held", ByteCount(MemoryEstimate.baselineBytes).description, ""))
        for c in components where c.bytes.value != 0 {
            lines.append(row(c.name, phaseTitle[c.phase] ?? c.phase.rawValue, c.bytes.description, c.keys.joined(separator: ", ")))
        }
        let peak = largestTransient.map { " (held + \(phaseTitle[$0.phase] ?? $0.phase.rawValue), the largest transient group)" } ?? ""
        let which = isGuideRun ? "multi-modal: the guide's run, trained first" : mode.rawValue
        lines.append("estimated peak of rank \(rank) of \(ranks) (\(which)): \(totalBytes)\(peak)")
        if let available { lines.append(available) }
        return lines.joined(separator: "\n")
    }
}

/// The size-driving config keys with their values and defaults (for naming the culprit).
struct SizeKeys {
    let values: [String: (value: Int, defaultValue: Int)]
    init(_ c: TrainConfig) {
        let d = TrainConfig()
        values = [
            "train_samples": (c.trainSamples, d.trainSamples),
            "diagnostics_samples": (c.diagnosticsSamples, d.diagnosticsSamples),
            "batch_size": (c.batchSize, d.trainSamples),
            "probe_train_samples": (c.probeTrainSamples, d.probeTrainSamples),
            "test_samples": (c.testSamples, d.testSamples),
            "encoder.width": (c.encoder.width, d.encoder.width),
            "signal_noise.d": (c.signalNoise.d, d.signalNoise.d),
            "latent_linear.latent_dim": (c.latentLinear.latentDim, d.latentLinear.latentDim),
            "latent_linear.d1": (c.latentLinear.d1, d.latentLinear.d1),
            "latent_linear.d2": (c.latentLinear.d2, d.latentLinear.d2),
            "cooccurrence.classes": (c.cooccurrence.classes, d.cooccurrence.classes),
            "cooccurrence.image_vocabulary": (c.cooccurrence.imageVocabulary, d.cooccurrence.imageVocabulary),
            "cooccurrence.text_vocabulary": (c.cooccurrence.textVocabulary, d.cooccurrence.textVocabulary),
        ]
    }
}

/// The arithmetic behind `MemoryEstimate` for one modality: mirrors how the problems, the
/// distributed loss, the trainer, the diagnostics and the probe allocate.
struct MemoryModel {
    let c: TrainConfig
    let multi: Bool
    let P: Int
    let rank: Int
    let purpose: MemoryEstimate.Purpose

    static let float = MemoryLayout<Float>.stride, double = MemoryLayout<Double>.stride, int = MemoryLayout<Int>.stride
    /// The distributed loss's default bound on the logits held at once (4 Mi scalars).
    static let logitsBlock = 1 << 22
    /// The fused symmetric InfoNCE holds the whole b × B logits between its passes up to this many.
    static let fusedHoldElements = 1 << 24
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
        var k: ByteCount        // elements per embedding row (overflow-checked)
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
            return Shapes(input1: row, input2: row, k: k, kValue: k.value ?? Int.max, featureWidth: m,
                          parameters: ByteCount.product(m, d, multi ? 2 : 1),
                          inputKeys: ["signal_noise.d"], parameterKeys: ["encoder.width", "signal_noise.d"])
        case .latentLinear:
            let l = c.latentLinear
            return Shapes(input1: l.d1, input2: l.d2, k: ByteCount(m), kValue: m, featureWidth: m,
                          parameters: ByteCount.product(m, l.d1) + ByteCount.product(m, l.d2),
                          inputKeys: ["latent_linear.d1", "latent_linear.d2"],
                          parameterKeys: ["encoder.width", "latent_linear.d1", "latent_linear.d2"])
        case .cooccurrence:
            let o = c.cooccurrence
            return Shapes(input1: o.imageVocabulary, input2: o.textVocabulary, k: ByteCount(m), kValue: m, featureWidth: m,
                          parameters: ByteCount.product(m, o.imageVocabulary) + (multi ? ByteCount.product(m, o.textVocabulary) : .zero),
                          inputKeys: ["cooccurrence.image_vocabulary", "cooccurrence.text_vocabulary"],
                          parameterKeys: ["encoder.width", "cooccurrence.image_vocabulary", "cooccurrence.text_vocabulary"])
        }
    }

    func components() -> [Part] {
        let f = Self.float, int = Self.int
        let s = shapes()
        let n = c.trainSamples
        let B = c.batchSize == 0 ? n : c.batchSize
        let b = share(B), maxb = largestShare(B)
        let batchKeys = c.batchSize == 0 ? ["train_samples"] : ["batch_size"]
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
        parts.append(part("encoders' weights, gradients and optimizer state", s.parameterKeys, params * ((3 + moments) * f)))
        if let pv = params.value {
            // The trainer's gradient exchange: the flat buffer the encoders' parts are reduced in
            // (+ the stop element) and, over several ranks, each part's ring scratch.
            parts.append(part(P > 1 ? "gradient all-reduce buffer and scratch" : "gradient all-reduce buffer", s.parameterKeys,
                              ByteCount.product(pv + 1 + (P > 1 ? pv / P + 2 : 0), f)))
        }

        // A step's data: both views of the local batch (one-hot rows for co-occurrence), labels.
        var data: ByteCount
        switch c.model {
        case .signalNoise:
            data = ByteCount.product(2, b, s.input1, f) + (multi ? .zero : ByteCount.product(c.signalNoise.d, f))
            data = data + ByteCount.product(b, f + int)
        case .latentLinear:
            data = ByteCount.product(b, s.input1, f) + ByteCount.product(b, s.input2, f) + ByteCount.product(b, c.latentLinear.latentDim, f)
        case .cooccurrence:
            data = ByteCount.product(b, s.input1, f) + ByteCount.product(b, s.input2, f) + ByteCount.product(b, int)
            if !multi { data = data + ByteCount.product(b, s.input1, f) }
        }
        parts.append(part("a step's input batch (both views)", batchKeys + s.inputKeys, data))

        // Activations: the ReLU encoders keep pre-activations and a backward scratch of
        // (b·P) × m per view; every model holds the two embeddings h, g (b × k).
        var activations = ByteCount.product(2, b, s.kValue, f)
        if c.model == .signalNoise {
            activations = activations + ByteCount.product(2, 2, SignalNoise.Modality.patches, b, m, f)
        }
        parts.append(part("encoder activations and embeddings", batchKeys + ["encoder.width"], activations))

        parts.append(contentsOf: lossParts(s: s, B: B, b: b, maxb: maxb, batchKeys: batchKeys))

        // The trainer's step indices: the local batch only (the epoch shuffle is a Feistel
        // bijection computed per index, no table of n).
        parts.append(part("batch indices", batchKeys, ByteCount.product(b, int)))

        parts.append(contentsOf: tableParts(s: s))
        if purpose == .bench {
            parts.append(part("bench: sgemm peak measurement (3 × 2048² floats)", [], ByteCount(Self.benchSgemmBytes), .benchSetup))
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
            parts.append(part("checkpoint keeper: copy of the last completed step (rank 0)", s.parameterKeys, saved * f))
            parts.append(part("checkpoint writing (binary, rank 0)", s.parameterKeys,
                              saved * MemoryEstimate.checkpointWriteBytesPerValue, .checkpoint))
        }
        parts.append(part("resumed checkpoint's decoded copy (on --resume)", s.parameterKeys, saved * f, .checkpoint))
        parts.append(part("checkpoint decoding on --resume", s.parameterKeys,
                          saved * MemoryEstimate.checkpointDecodeBytesPerValue(rank: rank), .setup))
        return parts
    }

    /// The distributed loss: gathered candidates (all-gather) or ring blocks, the logits
    /// block, the gradients of both directions, cosine copies, the gathered labels.
    func lossParts(s: Shapes, B: Int, b: Int, maxb: Int, batchKeys: [String]) -> [Part] {
        let f = Self.float, i64 = MemoryLayout<Int64>.stride
        let k = s.kValue
        let loss = c.loss
        let needC = loss.kind != .positiveOnly
        let wantDC = needC && !loss.stopGradient
        let symmetric = multi && loss.symmetric
        let labelled = c.model != .latentLinear
        let opposite = needC && loss.negatives.negativeSet(labelledByDefault: c.model == .signalNoise) == .oppositeLabel && labelled
        let ring = loss.exchange == .ring
        var parts: [Part] = []
        let globalKeys = batchKeys + ["encoder.width"]

        if needC {
            if ring {
                let blocks = 2 + (wantDC ? 3 : 0)
                parts.append(part("loss: ring candidate blocks", globalKeys, ByteCount.product(blocks, maxb, k, f) + ByteCount.product(3, b, f)))
            } else {
                parts.append(part("loss: gathered candidates" + (wantDC ? " and their gradient" : ""), globalKeys,
                                  ByteCount.product(wantDC ? 2 : 1, B, k, f)))
                if wantDC {
                    // MPI_Reduce_scatter's temporaries in Open MPI: about the whole buffer.
                    parts.append(part("loss: reduce-scatter temporaries (Open MPI)", globalKeys, ByteCount.product(B, k, f)))
                }
            }
            // The logits block: rows of N (all-gather) or of maxb (ring), at most 4 Mi scalars
            // but at least one row.
            let width = ring ? maxb : B
            let rows = max(1, min(max(b, 1), Self.logitsBlock / max(width, 1)))
            if symmetric && loss.kind == .infonce && !ring {
                // The fused symmetric InfoNCE (InfoMax's DistributedContrastiveLoss): the whole
                // b × B block held between its two passes when it fits `holdElements` (16 Mi),
                // the split row/column weights of a block with stop-gradient, and the B × k
                // partial gradient of the candidates it reduce-scatters.
                let held = ByteCount.product(b, B) <= ByteCount.product(Self.fusedHoldElements)
                parts.append(part("loss: fused logits (b × B held if ≤ 16 Mi, else a block)", batchKeys,
                                  held ? ByteCount.product(b, B, f) : ByteCount.product(rows, width, f)))
                if loss.stopGradient {
                    parts.append(part("loss: fused split weights (one block)", batchKeys, ByteCount.product(rows, width, f)))
                }
                if !wantDC {
                    parts.append(part("loss: fused candidate-gradient partial", globalKeys, ByteCount.product(B, k, f)))
                }
            } else {
                parts.append(part("loss: logits block (≤ 4 Mi scalars, ≥ one row)", batchKeys, ByteCount.product(rows, width, f)))
            }
        }
        // Results: dA, dPos, dC per direction (symmetric: two directions plus the combined pair).
        let results = symmetric ? 3 * 2 + 2 : 3
        var gradients = ByteCount.product(results, b, k, f)
        if loss.similarity == .cosine { gradients = gradients + ByteCount.product(3, b, k, f) + ByteCount.product(3, b, f) }
        parts.append(part("loss: embedding gradients" + (loss.similarity == .cosine ? " and normalised copies" : ""), batchKeys + ["encoder.width"], gradients))
        if opposite {
            parts.append(part("loss: gathered labels", batchKeys, ByteCount.product(maxb + P * maxb + B, i64)))
        }
        return parts
    }

    /// The data models' own tables (mixing matrices, co-occurrence tables, resampling lists).
    func tableParts(s: Shapes) -> [Part] {
        let f = Self.float, dbl = Self.double, int = Self.int
        switch c.model {
        case .signalNoise:
            return []
        case .latentLinear:
            let l = c.latentLinear
            // Train, probe-train and probe-test samplers each hold A1 (d1 × r) and A2 (d2 × r).
            return [part("latent-linear mixing matrices (3 samplers)", ["latent_linear.d1", "latent_linear.d2", "latent_linear.latent_dim"],
                         (ByteCount.product(l.d1, l.latentDim, f) + ByteCount.product(l.d2, l.latentDim, f)) * 3)]
        case .cooccurrence:
            let o = c.cooccurrence
            let vi = o.imageVocabulary, vt = o.textVocabulary
            let keys = ["cooccurrence.image_vocabulary", "cooccurrence.text_vocabulary"]
            var parts = [part("co-occurrence tables (conditionals, CDFs; 3 samplers)", keys + ["cooccurrence.classes"],
                              ByteCount.product(3, 2, o.classes, vi + vt, dbl)),
                         part("co-occurrence reference subspace", keys + ["encoder.width"],
                              ByteCount.product(vi, min(c.encoder.width, vi, vt), dbl) + ByteCount.product(vi, dbl))]
            // Set-up: the joint and normalised matrices and their SVD (copy, U, Vᵀ, LAPACK work).
            let mn = min(vi, vt)
            parts.append(part("co-occurrence SVD at set-up", keys,
                              ByteCount.product(4, vi, vt, dbl) + ByteCount.product(vi, mn, dbl) + ByteCount.product(5, mn, mn, dbl), .setup))
            if !multi && o.positives == .resampled {
                parts.append(part("resampled positives: every sample's tokens", ["train_samples"], ByteCount.product(3, c.trainSamples, int)))
            }
            if !multi && o.needsGuide {
                // The masked loss (gathered candidates and their gradient, two results, a logits
                // block) and the guide's choices: the global batch's indices, tokens and guide
                // rows, each local anchor's neighbour and dropped candidates.
                let B = c.batchSize == 0 ? c.trainSamples : c.batchSize, b = share(B), k = c.encoder.width
                let batchKeys = [c.batchSize == 0 ? "train_samples" : "batch_size", "encoder.width"]
                let drops = GuideSelection.dropCount(o.negativesDrop, fraction: o.dropFraction, globalRows: B)
                parts.append(part("guided loss: gathered candidates, gradients, logits block", batchKeys,
                                  ByteCount.product(2, B, k, f) + ByteCount.product(8, b, k, f)
                                  + ByteCount.product(min(b, max(1, Self.logitsBlock / max(B, 1))), B, f) + ByteCount.product(B, int)))
                parts.append(part("guide: the global batch's tokens and guide rows, neighbours and drops",
                                  batchKeys + ["cooccurrence.negatives_drop"],
                                  ByteCount.product(3, B, int) + ByteCount.product(B, k, f) + ByteCount.product(b, drops + 2, int)))
            }
            return parts
        }
    }

    /// Diagnostics at a logged step.
    func diagnosticParts(s: Shapes) -> [Part] {
        let f = Self.float, dbl = Self.double
        let m = c.encoder.width
        switch c.model {
        case .signalNoise:
            // Noise memorization over this rank's part of the evaluation subset (K =
            // diagnostics_samples of the n samples, or all n when K = 0 or K ≥ n), in chunks
            // of 4096 rows: their indices, noise and W·ξ, and the signal vectors.
            let n = c.trainSamples, k = c.diagnosticsSamples
            let evaluated = (k == 0 || k >= n) ? n : k
            let rows = min(4096, share(evaluated))
            return [part("diagnostics: noise chunk (≤ 4096 rows of the subset) and projections",
                         ["signal_noise.d", "encoder.width", "diagnostics_samples"],
                         ByteCount.product(rows, c.signalNoise.d, f) + ByteCount.product(2, rows, m, f)
                            + ByteCount.product(rows, Self.int) + ByteCount.product(2, c.signalNoise.d, f), .diagnostics)]
        case .latentLinear:
            let l = c.latentLinear
            return [part("diagnostics: condition number (Double copies)", ["encoder.width", "latent_linear.d1"],
                         ByteCount.product(m, l.d1, dbl) + ByteCount.product(l.d1, l.latentDim, dbl) + ByteCount.product(3, m, l.latentDim, dbl),
                         .diagnostics)]
        case .cooccurrence:
            let vi = c.cooccurrence.imageVocabulary
            return [part("diagnostics: subspace alignment (Wᵀ, its SVD)", ["cooccurrence.image_vocabulary", "encoder.width"],
                         ByteCount.product(vi, m, f) + ByteCount.product(5, vi, m, dbl), .diagnostics)]
        }
    }

    /// The downstream probe: every rank encodes its shard of the probe sets; rank 0 gathers
    /// the features and labels and fits the logistic regression on Double copies.
    func probeParts(s: Shapes) -> [Part] {
        let f = Self.float, dbl = Self.double, int = Self.int
        let w = s.featureWidth
        let m = c.encoder.width
        let keys = ["probe_train_samples", "test_samples"]
        // Bytes per encoded sample while a shard is encoded: its input row(s), the features,
        // the labels (and the ReLU encoder's pre-activations and output).
        let perSample: ByteCount
        switch c.model {
        case .signalNoise:
            perSample = ByteCount.product(s.input1, f) + ByteCount.product(SignalNoise.Modality.patches + 1, m, f) + ByteCount(f + 2 * int)
        case .latentLinear:
            perSample = ByteCount.product(s.input1 + s.input2 + c.latentLinear.latentDim, f) + ByteCount.product(w, f) + ByteCount(2 * int)
        case .cooccurrence:
            perSample = ByteCount.product(s.input1, f) + ByteCount.product(s.input2, f) + ByteCount.product(w, f) + ByteCount(3 * int)
        }
        let shard = max(share(c.probeTrainSamples), share(c.testSamples))
        let encode = perSample * shard
        guard rank == 0 else {
            return [part("probe: encoding this rank's shard of the probe sets", keys + s.inputKeys, encode, .probe)]
        }
        // Rank 0 encodes the test shard while it holds the gathered training features, and
        // fits the probe after the encoders' temporaries are freed: the larger of the two.
        let nt = c.probeTrainSamples, ne = c.testSamples
        let classes = c.model == .cooccurrence ? c.cooccurrence.classes : 2
        // Gathered features (Float) and labels (Int64 + Int).
        let gatheredTrain = ByteCount.product(nt, w, f) + ByteCount.product(nt, 2 * int)
        let gathered = gatheredTrain + ByteCount.product(ne, w, f) + ByteCount.product(ne, 2 * int)
        // The fit: standardised Double copy, [X, 1], the SVD's copy and work, logits.
        let fit = ByteCount.product(nt, w, dbl) + ByteCount.product(2, nt, w + 1, dbl)
            + ByteCount.product(nt, classes, dbl) + ByteCount.product(7, min(nt, w + 1), dbl) + ByteCount.product(2, max(nt, ne), classes, dbl)
        if gathered + fit < encode + gatheredTrain {
            return [part("probe: encoding this rank's shard of the probe sets", keys + s.inputKeys, encode, .probe),
                    part("probe: gathered training features (rank 0)", keys + ["encoder.width"], gatheredTrain, .probe)]
        }
        return [part("probe: gathered features and the fit (rank 0)", keys + ["encoder.width"], gathered + fit, .probe)]
    }
}
