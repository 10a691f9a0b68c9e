// Training/StopSignal.swift — SIGTERM / SIGUSR1 (Slurm's warning before the time limit, or a
// scancel) set a flag; the trainer checks it at every step, all ranks agree on it with an
// all-reduce, write a checkpoint and exit with `ExitStatus.checkpointed` so Slurm can requeue.
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var stopSignalReceived: Int32 = 0

/// The stop request a signal leaves for the training loop.
public enum StopSignal {
    /// Installs handlers for SIGTERM, SIGUSR1 and SIGINT that only set a flag.
    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { sig in stopSignalReceived = sig }
        signal(SIGTERM, handler)
        signal(SIGUSR1, handler)
        signal(SIGINT, handler)
    }

    /// The signal received since start (0 if none).
    public static var received: Int32 { stopSignalReceived }

    /// Forgets a received signal (tests, or after a checkpoint in a multi-run launch).
    public static func reset() { stopSignalReceived = 0 }

    /// The signal's name, for log lines.
    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: return "SIGTERM"
        case SIGUSR1: return "SIGUSR1"
        case SIGINT: return "SIGINT"
        default: return "signal \(sig)"
        }
    }
}

/// Exit codes of a training run (documented in README and `infomax train --help`).
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    /// Bad configuration or arguments (EX_USAGE).
    public static let usage: Int32 = 64
    /// An input file (config, checkpoint) that cannot be used (EX_DATAERR).
    public static let dataError: Int32 = 65
    /// The loss became NaN or infinite (EX_SOFTWARE).
    public static let numerical: Int32 = 70
    /// Stopped by a signal after writing a checkpoint: requeue and resume (EX_TEMPFAIL).
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
