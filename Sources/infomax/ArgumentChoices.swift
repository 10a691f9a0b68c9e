// ArgumentChoices — the command line's closed sets of values as ExpressibleByArgument enums:
// `--help` lists the values and the parser refuses any other with its own message (exit 64).
// The config's enums are reused as they are, so an option and its config key accept the same
// names.
import ArgumentParser
import InfoMax
import Training

extension DataModelKind: ExpressibleByArgument {}
extension ModalityMode: ExpressibleByArgument {}
extension LossKind: ExpressibleByArgument {}
extension CandidateExchange: ExpressibleByArgument {}

/// The modality `infomax bench` times: one of the two (compare is two runs, not one step).
enum StepModality: String, ExpressibleByArgument, CaseIterable {
    case multiModal = "multi-modal"
    case singleModal = "single-modal"

    var modality: ModalityMode {
        switch self {
        case .multiModal: return .multiModal
        case .singleModal: return .singleModal
        }
    }
}

/// How `infomax bench predict` grows the batch with the rank count.
enum Scaling: String, ExpressibleByArgument, CaseIterable {
    /// The batch per rank stays fixed.
    case weak
    /// The global batch stays fixed.
    case strong
}
