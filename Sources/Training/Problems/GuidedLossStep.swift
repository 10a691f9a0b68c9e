// Training/Problems/GuidedLossStep.swift — Zhang et al.'s own recipe on the co-occurrence
// model (code PKU-ML/CLIP-Help-SimCLR): a frozen multi-modal image encoder (the guide) picks,
// over the GLOBAL batch, each anchor's nearest neighbour (an extra positive: "AddNewPositive",
// loss ½ (plain + with the neighbour's view as the positive)) and the negatives to drop (the
// most similar: "DropFalseNegative", the least: "DropEasyNegative"). Where the guide comes from:
// the multi-modal run of a `compare`, a run folder (`cooccurrence.guide_run`), or a
// multi-modal run of the same config trained first.
import Foundation
import InfoMax
import Linalg
import MPI
import RunRecords
import Synthetic

/// The frozen image encoder of a multi-modal co-occurrence run: token t ↦ column t of its
/// k × N_v weights.
public struct GuideEncoder: Sendable, Codable {
    /// The image embedding table, k × N_v.
    public let imageWeights: Matrix<Float>

    /// The file a finished multi-modal co-occurrence run saves its image encoder in.
    public static let fileName = "image-encoder.json"

    /// Writes the encoder into `folder` (rank 0).
    public func write(to folder: URL) throws {
        try JSONEncoder().encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// Reads the guide of `cooccurrence.guide_run` (rank 0 reads and checks it, every rank gets
    /// it): PATH/image-encoder.json, else PATH/points/multi-modal/image-encoder.json. A missing
    /// or unreadable file, or one for another image vocabulary, exits 65 on every rank. Collective.
    static func read(run path: String, imageVocabulary: Int, comm: Communicator) throws -> GuideEncoder {
        let bytes = try comm.onRoot(exitCode: ExitCodes.dataError) { () -> [UInt8] in
            let base = URL(fileURLWithPath: path)
            let candidates = [base.appendingPathComponent(fileName),
                              base.appendingPathComponent("points").appendingPathComponent("multi-modal").appendingPathComponent(fileName)]
            guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw RootError(message: "cooccurrence.guide_run = \(path): no \(fileName) there or in points/multi-modal; "
                                    + "point it at a finished multi-modal (or compare) co-occurrence run", exitCode: ExitCodes.dataError)
            }
            let data = try Data(contentsOf: url)
            guard let guide = try? JSONDecoder().decode(GuideEncoder.self, from: data),
                  guide.imageWeights.storage.count == guide.imageWeights.rows * guide.imageWeights.cols else {
                throw RootError(message: "\(url.path) is not an image encoder written by infomax; train the guide run again",
                                exitCode: ExitCodes.dataError)
            }
            guard guide.imageWeights.cols == imageVocabulary, guide.imageWeights.rows >= 1 else {
                throw RootError(message: "\(url.path) encodes \(guide.imageWeights.cols) image tokens, this run has "
                                    + "cooccurrence.image_vocabulary = \(imageVocabulary): use a guide run of the same co-occurrence model",
                                exitCode: ExitCodes.dataError)
            }
            return [UInt8](data)
        }
        let shared = try comm.broadcast(bytes ?? [])
        return try JSONDecoder().decode(GuideEncoder.self, from: Data(shared))
    }

    /// The image encoder of a trained multi-modal co-occurrence problem (nil for any other problem).
    public static func of(_ problem: ContrastiveProblem) -> GuideEncoder? {
        guard let p = problem as? CooccurrenceProblem, p.multiModal else { return nil }
        return GuideEncoder(imageWeights: p.image.weights)
    }

    /// Trains the multi-modal run of `config` (same seed, data and loss; no output, no
    /// intermediate probes) and returns its image encoder: the guide a single-modal guided
    /// run uses when no multi-modal run of the same launch handed one over. Collective.
    static func train(config: TrainConfig, comm: Communicator) throws -> GuideEncoder {
        var c = config
        c.mode = .multiModal
        c.evalEvery = 0
        let problem = try CooccurrenceProblem(config: c, multiModal: true, comm: comm, guide: nil)
        let summary = try Trainer(config: c, mode: .multiModal, problem: problem, comm: comm).run()
        // Stopped by a signal before the single-modal run began: nothing to checkpoint (a rerun
        // trains the same guide again), but the same exit code as a checkpointed stop, so that
        // a requeueing batch script resubmits.
        guard summary.status == .completed else {
            throw RootError(message: "stopped while training the multi-modal guide (step \(summary.stepsCompleted) of \(c.steps)); "
                                + "run again (with --resume): the guide is trained again, the same", exitCode: ExitCodes.checkpointed)
        }
        return GuideEncoder(imageWeights: problem.image.weights)
    }
}

/// A step's loss of the embeddings h (anchors) and g (their views) and its gradients:
/// ``LossStep`` (the configured loss) or ``GuidedLossStep``.
protocol StepLoss {
    mutating func evaluate(_ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
                           clock: inout StepClock) throws -> Float
    var dFirst: Matrix<Float> { get }
    var dSecond: Matrix<Float> { get }
}

extension LossStep: StepLoss {}

/// The single-modal loss under a frozen guide: anchors h = f(x), candidates g = f(x̃) (the
/// positive views), the guide's choices for the current global batch (recomputed only when
/// the batch changes: once for full batch).
final class GuidedLossStep: StepLoss {
    let loss: MaskedContrastiveLoss<Float>
    let guide: GuideEncoder
    let addPositive: Bool
    let drop: NegativeDrop
    let fraction: Double
    private var plain = ContrastiveResult<Float>(), extra = ContrastiveResult<Float>()
    private(set) var dFirst = Matrix<Float>(rows: 0, cols: 0), dSecond = Matrix<Float>(rows: 0, cols: 0)
    private var local: [Int64] = [], batch: [Int64] = [], layout = VectorLayout()
    private var batchOfTargets: [Int64]? = nil
    private(set) var plainTargets = AnchorTargets(positives: []), guidedTargets = AnchorTargets(positives: [])

    init(config: TrainConfig, guide: GuideEncoder, comm: Communicator) throws {
        let c = config.cooccurrence
        guard guide.imageWeights.cols == c.imageVocabulary else {
            throw ConfigError.invalidValue(key: ConfigKey.cooccurrenceImageVocabulary.path,
                                           value: "\(c.imageVocabulary)",
                                           allowed: "the guide's vocabulary (\(guide.imageWeights.cols) image tokens)")
        }
        var options = ProblemSupport.contrastiveLoss(config.loss, width: config.encoder.width, labelledByDefault: false)
        options.negatives = .allOthers
        loss = try MaskedContrastiveLoss(communicator: comm, loss: options)
        self.guide = guide
        addPositive = c.positives == .guided
        drop = c.negativesDrop
        fraction = c.dropFraction
    }

    /// Gathers the global batch (sample indices, rank order) and, when it changed, lets the
    /// guide choose every local anchor's neighbour and dropped negatives. Collective.
    func prepare(localIndices: [Int], sampler: Cooccurrence.Sampler) throws {
        let comm = loss.communicator
        local.removeAll(keepingCapacity: true)
        for i in localIndices { local.append(Int64(i)) }
        let counts = try comm.allgather(Int64(local.count)).map(Int.init)
        try layout.set(counts: counts)
        try comm.allgatherv(local, into: &batch, layout: layout)
        guard batch != batchOfTargets else { return }
        let first = counts[..<comm.rank].reduce(0, +)
        var tokens: [Int] = []
        tokens.reserveCapacity(batch.count)
        for i in batch { tokens.append(try sampler.sample(of: Int(i)).image) }
        let w = guide.imageWeights
        let rows = Matrix<Float>(rows: batch.count, cols: w.rows) { j, t in w[t, tokens[j]] }
        let selection = try GuideSelection.select(guide: rows, keys: tokens, localRows: first..<(first + local.count),
                                                  drop: drop, fraction: fraction)
        plainTargets = AnchorTargets(positives: Array(first..<(first + local.count)), offsets: selection.dropOffsets,
                                     excluded: selection.dropped)
        guidedTargets = AnchorTargets(positives: selection.neighbours, offsets: selection.dropOffsets, excluded: selection.dropped)
        batchOfTargets = batch
    }

    func evaluate(_ h: Matrix<Float>, _ g: Matrix<Float>, labels: [Int]?, timing: inout StepTiming,
                  clock: inout StepClock) throws -> Float {
        try loss.evaluate(anchors: h, candidates: g, targets: plainTargets, into: &plain)
        var value = plain.value
        if addPositive {
            try loss.evaluate(anchors: h, candidates: g, targets: guidedTargets, into: &extra)
            value = (plain.value + extra.value) / 2
            Self.average(plain.dA, extra.dA, into: &dFirst)
            Self.average(plain.dC, extra.dC, into: &dSecond)
        } else {
            Self.copy(plain.dA, into: &dFirst)
            Self.copy(plain.dC, into: &dSecond)
        }
        timing.addLoss(ContrastiveCallStats(), wallSeconds: clock.lap())
        return value
    }

    /// out = x, in out's storage (no reference kept to x's, so the next call writes x in place).
    private static func copy(_ x: Matrix<Float>, into out: inout Matrix<Float>) {
        out.reshape(rows: x.rows, cols: x.cols)
        out.storage.withUnsafeMutableBufferPointer { o in x.storage.withUnsafeBufferPointer { i in
            if let d = o.baseAddress, let s = i.baseAddress { d.update(from: s, count: i.count) }
        }}
    }

    /// out = ½ (x + y).
    private static func average(_ x: Matrix<Float>, _ y: Matrix<Float>, into out: inout Matrix<Float>) {
        out.reshape(rows: x.rows, cols: x.cols)
        for i in out.storage.indices { out.storage[i] = (x.storage[i] + y.storage[i]) * 0.5 }
    }
}
