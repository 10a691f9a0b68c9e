// FailedRun: the short summary.json a run leaves when an error ends it.

/// The summary.json of a run that an error ended: its status (`failed`), mode and the error.
public struct FailedRun: Codable, Sendable, Equatable {
    public var status: RunStatus
    public var mode: ModalityMode
    public var error: String

    public init(mode: ModalityMode, error: String) {
        status = .failed
        self.mode = mode
        self.error = error
    }
}
