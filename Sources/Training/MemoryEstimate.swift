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
    public static func product(_ factors: Int...) -> ByteCount { product(of: factors) }

    /// ``product(_:)`` of an array of factors.
    public static func product(of factors: [Int]) -> ByteCount {
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
        case (let a?, let b?): return a < b
        case (_?, nil): return true
        default: return false
        }
    }

    /// Decimal units: "22.1 GB", "3.7 TB", "512 B"; "more than 9.2 EB" on overflow.
    public var description: String {
        guard let v = value else {
            return "more than \(ByteCount.format(Double(Int.max))) (the size overflows a 64-bit integer)"
        }
        return ByteCount.format(Double(v))
    }

    /// `bytes` in decimal units with three significant digits.
    public static func format(_ bytes: Double) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var x = bytes
        var i = 0
        while x >= 1000 && i < units.count - 1 {
            x /= 1000
            i += 1
        }
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
            && config.cooccurrence.guideRun.isEmpty
        {
            modes.append(.multiModal)
        }
        var best: (ModalityMode, [Component])? = nil
        var bestTotal = ByteCount.zero
        for m in modes {
            let parts = MemoryModel(config: config, mode: m, ranks: ranks, rank: rank, purpose: purpose).components()
            let total = MemoryEstimate.total(parts)
            if best == nil || bestTotal < total {
                best = (m, parts)
                bestTotal = total
            }
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
        var groups: [Phase: ByteCount] = [:]
        var before: [Phase: ByteCount] = [:]
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
        for c in components where ![.resident, .setup, .benchSetup].contains(c.phase) {
            groups[c.phase, default: .zero] = groups[c.phase, default: .zero] + c.bytes
        }
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
        let phaseTitle: [Phase: String] = [
            .resident: "held", .diagnostics: "diagnostics", .probe: "probe",
            .setup: "set-up", .checkpoint: "checkpoint", .benchSetup: "bench sgemm",
        ]
        func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
            a.padding(toLength: 58, withPad: " ", startingAt: 0) + " "
                + b.padding(toLength: 12, withPad: " ", startingAt: 0)
                + " " + c.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + d
        }
        lines.append(row("component", "phase", "bytes", "keys"))
        lines.append(
            row(
                "process baseline (Swift, Open MPI, OpenBLAS; measured)", "held",
                ByteCount(MemoryEstimate.baselineBytes).description, ""))
        for c in components where c.bytes.value != 0 {
            lines.append(
                row(
                    c.name, phaseTitle[c.phase] ?? c.phase.rawValue, c.bytes.description, c.keys.joined(separator: ", ")
                ))
        }
        let peak =
            largestTransient.map {
                " (held + \(phaseTitle[$0.phase] ?? $0.phase.rawValue), the largest transient group)"
            } ?? ""
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
            ConfigKey.trainSamples.path: (c.trainSamples, d.trainSamples),
            ConfigKey.diagnosticsSamples.path: (c.diagnosticsSamples, d.diagnosticsSamples),
            ConfigKey.batchSize.path: (c.batchSize, d.trainSamples),
            ConfigKey.probeTrainSamples.path: (c.probeTrainSamples, d.probeTrainSamples),
            ConfigKey.testSamples.path: (c.testSamples, d.testSamples),
            ConfigKey.encoderWidth.path: (c.encoder.width, d.encoder.width),
            ConfigKey.signalNoiseD.path: (c.signalNoise.d, d.signalNoise.d),
            ConfigKey.latentLinearLatentDim.path: (c.latentLinear.latentDim, d.latentLinear.latentDim),
            ConfigKey.latentLinearD1.path: (c.latentLinear.d1, d.latentLinear.d1),
            ConfigKey.latentLinearD2.path: (c.latentLinear.d2, d.latentLinear.d2),
            ConfigKey.cooccurrenceClasses.path: (c.cooccurrence.classes, d.cooccurrence.classes),
            ConfigKey.cooccurrenceImageVocabulary.path: (
                c.cooccurrence.imageVocabulary, d.cooccurrence.imageVocabulary
            ),
            ConfigKey.cooccurrenceTextVocabulary.path: (c.cooccurrence.textVocabulary, d.cooccurrence.textVocabulary),
        ]
    }
}
