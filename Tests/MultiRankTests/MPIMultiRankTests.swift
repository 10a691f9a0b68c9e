// Multi-rank tests of the MPI wrapper: collectives at 1–4 ranks, and abort takes every rank down.
import Foundation
import XCTest

final class MPIMultiRankTests: XCTestCase {
    func testCollectivesAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("mpi", ranks: [1, 2, 3, 4])
    }

    /// Rank 1 aborts while the others wait in a barrier: mpirun must return quickly and
    /// non-zero, print the message once, and leave no rank process alive.
    func testAbortTakesEveryRankDown() throws {
        for n in [2, 3] {
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("mpi-abort-\(getpid())-\(n)-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }

            let o = try Launcher.run(ranks: n, arguments: ["abort", dir.path], timeout: 30)
            XCTAssertFalse(o.timedOut, "abort at \(n) ranks: mpirun had to be killed")
            XCTAssertNotEqual(o.status, 0, "abort at \(n) ranks: mpirun exited 0")
            XCTAssertLessThan(o.seconds, 20, "abort at \(n) ranks took \(o.seconds) s")
            let message = "deliberate abort from the abort check"
            XCTAssertEqual(
                o.output.components(separatedBy: message).count - 1, 1,
                "abort at \(n) ranks: the message must appear exactly once:\n\(o.output)")

            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".pid") }
            XCTAssertEqual(files.count, n, "abort at \(n) ranks: expected one pid file per rank, got \(files)")
            for file in files {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
                    XCTFail("abort at \(n) ranks: \(file) holds no pid: \(text)")
                    continue
                }
                XCTAssertTrue(processIsGone(pid), "abort at \(n) ranks: rank process \(pid) (\(file)) is still alive")
            }
        }
    }

    /// Whether `pid` no longer exists, allowing the system a moment to reap it.
    private func processIsGone(_ pid: Int32) -> Bool {
        for _ in 0..<50 {
            if kill(pid, 0) != 0 && errno == ESRCH { return true }
            // A zombie still answers kill(pid, 0); treat it as gone once its state says so.
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                stat[stat.index(close, offsetBy: 2)] == "Z"
            {
                return true
            }
            usleep(20_000)
        }
        return false
    }
}
