// Training/ExitCodes.swift — the process exit codes of `infomax` (train, sweep, bench, report),
// one place for what each number means; README "Exit codes" and `infomax train --help` list
// the same. Every rank of a job exits with the same code (`Communicator.onRoot`).

/// The exit codes of `infomax`, as `Int32` (what `exit`, `MPI_Abort` and `Communicator.onRoot`
/// take). The numbers follow BSD's sysexits.h where one fits.
public enum ExitCodes {
    /// The run finished (or the command did what it was asked).
    public static let success: Int32 = 0
    /// An unexpected failure no other code describes (an MPI error, a bug); the message says what.
    public static let failure: Int32 = 1
    /// Bad configuration or arguments: an unknown or out-of-range key or option, a refused
    /// output folder, a size whose memory does not fit (EX_USAGE). Fix the input and rerun.
    public static let usage: Int32 = 64
    /// An input file that cannot be used: an unreadable or malformed config, a corrupt or
    /// mismatched checkpoint (EX_DATAERR).
    public static let dataError: Int32 = 65
    /// The loss became NaN or infinite (EX_SOFTWARE): lower the learning rate or check the data.
    public static let numerical: Int32 = 70
    /// The stall watchdog ended the job: a rank waited in a collective past
    /// `stall_timeout_seconds` (a lost host or link). The last checkpoint is valid (EX_IOERR).
    public static let stalled: Int32 = 74
    /// Stopped by a signal after writing a checkpoint: requeue and resume with `--resume`
    /// (EX_TEMPFAIL).
    public static let checkpointed: Int32 = 75

    /// The documented exit code for an error that ends a run.
    public static func code(for error: Error) -> Int32 {
        switch error {
        case ConfigError.unreadable, ConfigError.malformed: return dataError
        case is ConfigError: return usage
        case is CheckpointError: return dataError
        case let e as TrainingError: return e.exitCode
        case let e as RootError: return e.exitCode
        default: return failure
        }
    }
}
