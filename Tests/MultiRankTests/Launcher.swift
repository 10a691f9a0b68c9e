// Launcher — runs `multirank-checks SUITE` under mpirun at a given rank count and reports
// its exit status and output (blocking waits; a timeout sends SIGTERM). Used by every
// multi-rank XCTest case.
import Foundation
import XCTest

enum Launcher {
    /// The folder that holds the built executables (.build/<config>/).
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    /// This process's environment without the variables an in-process MPI singleton (other
    /// test targets call MPI_Init) leaves behind: a nested mpirun would try to join that job.
    static func cleanEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("OMPI_") || key.hasPrefix("PMIX_") || key.hasPrefix("ORTE_") || key.hasPrefix("OPAL_") || key.hasPrefix("PMI_"))
        }
    }

    struct Outcome {
        let status: Int32
        let output: String
        let seconds: Double
        let timedOut: Bool
    }

    /// Runs `mpirun -np <ranks> --oversubscribe <exe> <arguments>` with one BLAS thread per
    /// rank, killing it after `timeout` seconds, in `directory` (default: this process's).
    /// Root may run mpirun (env vars below).
    static func run(ranks: Int, executable: String = "multirank-checks", arguments: [String],
                    timeout: Double = 300, environment extra: [String: String] = [:], directory: URL? = nil) throws -> Outcome {
        let exe = productsDirectory.appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw NSError(domain: "Launcher", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(exe) is not built; run `swift build` first"])
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mpirun", "-np", "\(ranks)", "--oversubscribe", "--bind-to", "none", exe] + arguments
        var env = cleanEnvironment()
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OPENBLAS_NUM_THREADS"] = "1"
        env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = directory }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        // Blocking waits, no polling: the reader thread ends at the output's end, the
        // termination handler signals the exit; a timeout sends SIGTERM and waits on.
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        let start = Date()
        try p.run()
        let output = CollectedOutput()
        let reader = DispatchQueue(label: "launcher.read")
        let group = DispatchGroup()
        group.enter()
        reader.async { output.data = pipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            p.terminate()
            exited.wait()
        }
        p.waitUntilExit()
        group.wait()
        let out = String(decoding: output.data, as: UTF8.self)
        print("--- mpirun -np \(ranks) \(executable) \(arguments.joined(separator: " ")) (exit \(p.terminationStatus), \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        print(out, terminator: out.hasSuffix("\n") || out.isEmpty ? "" : "\n")
        return Outcome(status: p.terminationStatus, output: out, seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }

    /// Runs a suite at each rank count and asserts it passed.
    static func assertSuitePasses(_ suite: String, ranks: [Int], extra: [String] = [], timeout: Double = 300,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        for n in ranks {
            let o = try run(ranks: n, arguments: [suite] + extra, timeout: timeout)
            XCTAssertFalse(o.timedOut, "\(suite) at \(n) ranks timed out", file: file, line: line)
            XCTAssertEqual(o.status, 0, "\(suite) at \(n) ranks failed:\n\(o.output)", file: file, line: line)
            XCTAssertTrue(o.output.contains("\(suite) np=\(n): "), "\(suite) at \(n) ranks printed no summary", file: file, line: line)
            XCTAssertTrue(o.output.contains(" 0 failed"), "\(suite) at \(n) ranks reported failures", file: file, line: line)
        }
    }
}

/// What the reader thread collects from mpirun's pipe: written once by that thread, read only
/// after the dispatch group says it is done.
private final class CollectedOutput: @unchecked Sendable {
    var data = Data()
}
