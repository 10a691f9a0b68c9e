// Training/StopSignal.swift — SIGTERM / SIGUSR1 / SIGINT (Slurm's warning before the time
// limit, a scancel, mpirun forwarding a kill, Ctrl-C) set a flag and wake the watchdog thread:
// rank 0 writes the last completed step's checkpoint at once (Watchdog, CheckpointKeeper),
// while the training loop still tries to reach the step's end, where all ranks agree on the
// flag with an all-reduce, checkpoint and exit with `ExitCodes.checkpointed`.
import Foundation  // on Linux it brings Glibc (signal, sigaction)

nonisolated(unsafe) private var stopSignalReceived: Int32 = 0
/// Set by SIGCONT: Open MPI's kill sequence (mpirun on SIGTERM or SIGINT) sends SIGCONT at once
/// and SIGTERM only `odls_base_sigkill_timeout` (1 s) later; rank 0 saves the last step on it.
nonisolated(unsafe) private var continueSignalPending: Int32 = 0
/// Posted by the handler (sem_post is async-signal-safe); the watchdog thread waits on it.
nonisolated(unsafe) private var stopSemaphore: UnsafeMutablePointer<sem_t>? = nil
/// When the last signal arrived (CLOCK_MONOTONIC; clock_gettime is async-signal-safe).
nonisolated(unsafe) private var stopSignalTime: UnsafeMutablePointer<timespec>? = nil

/// The stop request a signal leaves for the training loop.
public enum StopSignal {
    /// Installs handlers for SIGTERM, SIGUSR1 and SIGINT that set a flag and post a semaphore,
    /// and starts the watchdog thread that acts on it (once per process).
    public static func install() {
        if stopSemaphore == nil {
            let s = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
            sem_init(s, 0, 0)
            stopSemaphore = s
            let t = UnsafeMutablePointer<timespec>.allocate(capacity: 1)
            t.initialize(to: timespec())
            stopSignalTime = t
        }
        let handler: @convention(c) (Int32) -> Void = { sig in
            stopSignalReceived = sig
            if let t = stopSignalTime { clock_gettime(CLOCK_MONOTONIC, t) }
            if let s = stopSemaphore { sem_post(s) }
        }
        signal(SIGTERM, handler)
        signal(SIGUSR1, handler)
        signal(SIGINT, handler)
        // SIGCONT is not a stop request (the kernel resumes the process whatever the handler):
        // it only wakes the watchdog so that rank 0 saves the last completed step at once.
        let continueHandler: @convention(c) (Int32) -> Void = { _ in
            continueSignalPending = 1
            if let s = stopSemaphore { sem_post(s) }
        }
        signal(SIGCONT, continueHandler)
        // A dead launcher closes the pipes of stdout/stderr: a write there must not kill the rank
        // before the watchdog thread has saved the last step.
        signal(SIGPIPE, SIG_IGN)
        Watchdog.shared.start()
    }

    /// The signal received since start (0 if none).
    public static var received: Int32 { stopSignalReceived }

    /// CLOCK_MONOTONIC seconds at which the last signal arrived (0 if none).
    static var arrival: Double {
        guard let t = stopSignalTime else { return 0 }
        return Double(t.pointee.tv_sec) + Double(t.pointee.tv_nsec) * 1e-9
    }

    /// True once after a SIGCONT arrived (consumes it): the first signal of Open MPI's kill
    /// sequence, 1 s before its SIGTERM (also sent when a stopped job is resumed).
    static func takeContinue() -> Bool {
        guard continueSignalPending != 0 else { return false }
        continueSignalPending = 0
        return true
    }

    /// Forgets a received signal (tests, or after a checkpoint in a multi-run launch).
    public static func reset() { stopSignalReceived = 0 }

    /// Waits up to `seconds` for a signal; true if one arrived (consumes one wake-up).
    static func wait(seconds: Double) -> Bool {
        guard let s = stopSemaphore else {
            usleep(useconds_t(seconds * 1e6))
            return false
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let ns = Int(ts.tv_nsec) + Int(seconds * 1e9)
        ts.tv_sec += ns / 1_000_000_000
        ts.tv_nsec = ns % 1_000_000_000
        while sem_timedwait(s, &ts) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }

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
