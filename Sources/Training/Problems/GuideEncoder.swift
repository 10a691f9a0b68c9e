// Training/Problems/GuideEncoder.swift — the frozen image encoder of a multi-modal co-occurrence
// run that guides a single-modal run (Zhang et al.'s recipe): where it comes from (the
// multi-modal run of a `compare`, a run folder, or a multi-modal run trained first).
import Foundation
import InfoMax
import Linalg
import MPI
import RunRecords

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
