// CheckKit — a tiny assertion collector for checks that run on every rank under mpirun.
// Each rank records its own passes and failures; at the end the counts are summed over
// ranks, rank 0 prints "<suite> np=N: P passed, F failed", and every rank exits 1 on failure.
import Foundation
import MPI
import RealModule
#if canImport(Glibc)
import Glibc
#endif

/// Collects check results on one rank.
final class Checks {
    let comm: Communicator
    let suite: String
    private(set) var passed = 0
    private(set) var failed = 0

    init(comm: Communicator, suite: String) { self.comm = comm; self.suite = suite }

    /// Records `condition`; on failure prints `message` with the rank.
    func expect(_ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String,
                file: StaticString = #fileID, line: UInt = #line) {
        do {
            if try condition() { passed += 1; return }
            failed += 1
            try? FileHandle.standardError.write(contentsOf: Data(("FAIL [\(suite) rank \(comm.rank)/\(comm.size)] \(file):\(line): \(message())\n").utf8))
        } catch {
            failed += 1
            try? FileHandle.standardError.write(contentsOf: Data(("FAIL [\(suite) rank \(comm.rank)/\(comm.size)] \(file):\(line): threw \(error) — \(message())\n").utf8))
        }
    }

    /// Records that `a` and `b` agree to relative tolerance `rtol` of the larger magnitude, or
    /// to `atol` where that is larger (RealModule's `isApproximatelyEqual`).
    func expectClose(_ a: Double, _ b: Double, rtol: Double = 1e-5, atol: Double = 1e-7, _ what: String,
                     file: StaticString = #fileID, line: UInt = #line) {
        let ok = a.isApproximatelyEqual(to: b, absoluteTolerance: atol, relativeTolerance: rtol)
        expect(ok, "\(what): \(a) vs \(b) (rtol \(rtol))", file: file, line: line)
    }

    /// Sums the results over ranks, prints the summary on rank 0, and returns the exit code.
    func finish() -> Int32 {
        let totals = (try? comm.allreduce([Int64(passed), Int64(failed)], op: .sum)) ?? [0, 1]
        if comm.isRoot {
            print("\(suite) np=\(comm.size): \(totals[0]) passed, \(totals[1]) failed")
        }
        return totals[1] == 0 ? 0 : 1
    }
}
