// Training/Collective.swift — work that only rank 0 does (files, folders) but whose failure
// every rank must learn about: rank 0 runs it, broadcasts success or the error text, and
// every rank throws the same error, so all exit alike and nobody hangs.
import Foundation
import MPI

/// An error raised on rank 0 and re-thrown on every rank.
public struct RootError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32
    public var description: String { message }
    public init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// An error as the user reads it, on one line: our errors' own messages; a Foundation file
    /// error (which prints as an NSCocoaErrorDomain dump) as its sentence, the path and the
    /// system's reason; control characters escaped.
    public static func text(for error: Error) -> String {
        let ns = error as NSError
        var text: String
        if ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain {
            text = ns.localizedDescription
            if let path = ns.userInfo[NSFilePathErrorKey] as? String, !text.contains(path) { text += " (\(path))" }
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                text += ": " + String(cString: strerror(Int32(underlying.code)))
            }
        } else {
            text = "\(error)"
        }
        if text.isEmpty { text = "unknown error" }
        return ConfigError.shown(text, limit: 2000)
    }
}

extension Communicator {
    /// Runs `body` on rank 0 only; if it throws there, every rank throws a `RootError` with
    /// its message. Returns rank 0's value there, nil elsewhere.
    public func onRoot<T>(exitCode: Int32 = 1, _ body: () throws -> T) throws -> T? {
        var result: T? = nil
        var message = ""
        var code = exitCode
        if isRoot {
            do { result = try body() } catch {
                message = RootError.text(for: error)
                if error is RootError || error is CheckpointError || error is ConfigError || error is TrainingError {
                    code = ExitCodes.code(for: error)
                }
            }
        }
        let text = try broadcast(message, root: 0)
        var codes = [code]
        try bcast(&codes, root: 0)
        if !text.isEmpty { throw RootError(message: text, exitCode: codes[0]) }
        return result
    }
}
