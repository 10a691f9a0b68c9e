// MPI/Platform.swift — the MPI layer's few C library calls (flush, unbuffered write to standard
// error, exit), the one file of the layer that imports Glibc / Darwin.
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

/// Flushes every C stream, then writes `text` to standard error unbuffered (one write call,
/// so the line is not interleaved with another process's output).
func writeToStandardError(_ text: String) {
    fflush(nil)
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}
