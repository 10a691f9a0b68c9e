// Training/Problems/MakeProblem.swift — the problem factory: the problem a config describes,
// for one modality, after refusing a size whose buffers overflow a byte count.
import MPI
import RunRecords

/// Builds the problem a config describes, for one modality.
/// `guide`: the image encoder of a multi-modal co-occurrence run trained before (compare mode),
/// for a single-modal guided run; without it such a run trains its own guide first.
public func makeProblem(config: TrainConfig, mode: ModalityMode, comm: Communicator, guide: GuideEncoder? = nil) throws
    -> ContrastiveProblem
{
    precondition(mode != .compare)
    let multi = mode == .multiModal
    // A size whose buffers overflow a 64-bit byte count (d·2, width·d, ...) is refused here,
    // naming its key, before any arithmetic on it can trap.
    let estimate = MemoryEstimate(config: config, ranks: comm.size, rank: comm.rank)
    if let part = estimate.components.first(where: { $0.bytes == .overflow }) {
        let (key, value) = MemoryEstimate.drivingKey(of: part, in: config)
        throw ConfigError.invalidValue(
            key: key, value: value,
            allowed:
                "a size whose \(part.name) fit in a 64-bit byte count (it overflows); see `infomax train --dry-run`")
    }
    switch config.model {
    case .signalNoise: return try SignalNoiseProblem(config: config, multiModal: multi, comm: comm)
    case .latentLinear: return try LatentLinearProblem(config: config, multiModal: multi, comm: comm)
    case .cooccurrence: return try CooccurrenceProblem(config: config, multiModal: multi, comm: comm, guide: guide)
    case .colored: return try ColoredProblem(config: config, multiModal: multi, comm: comm)
    }
}
