// MPI/Platform.swift — the MPI layer's few C library calls (flush, unbuffered write to standard
// error, exit, a deadline on exiting), the one file of the layer that imports Glibc / Darwin.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Flushes every C stream and ends the process with `code`.
func exitProcess(_ code: Int32) -> Never {
    fflush(nil)
    exit(code)
}

/// Flushes every C stream and ends the process with `code` at once (`_exit`: no atexit
/// handlers or library destructors).
func exitProcessSkippingCleanup(_ code: Int32) -> Never {
    fflush(nil)
    _exit(code)
}

/// Flushes every C stream, then writes `text` to standard error unbuffered (one write call,
/// so the line is not interleaved with another process's output).
func writeToStandardError(_ text: String) {
    fflush(nil)
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

nonisolated(unsafe) private var deadlineCode: Int32 = 0
nonisolated(unsafe) private var deadlineSeconds: UInt32 = 0
nonisolated(unsafe) private var deadlineMessage: [CChar] = []

/// Ends the process with `code` after `seconds` if it has not ended by then: a detached thread
/// sleeps, writes `message` to standard error and calls `_exit` (no atexit handlers and no stdio
/// flush, which could wait on a lock the stuck thread holds: the C streams are flushed here,
/// before the thread starts). For a last collective that can hang after all work is done (see
/// ``MPIEnvironment/exit(_:)``). Linux only; elsewhere nothing is armed.
func armExitDeadline(seconds: UInt32, code: Int32, message: String) {
    fflush(nil)
    #if os(Linux)
        deadlineCode = code
        deadlineSeconds = seconds
        deadlineMessage = Array(message.utf8CString)
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { _ in
                sleep(deadlineSeconds)
                _ = deadlineMessage.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
                _exit(deadlineCode)
            }, nil)
        if started == 0 { pthread_detach(thread) }
    #endif
}
