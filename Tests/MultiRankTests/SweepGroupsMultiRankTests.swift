// `infomax sweep --ranks-per-point k` under mpirun at 4 ranks: groups of k ranks run different
// points at once and every point ends exactly as it does run alone at k ranks (k = 1 and 2,
// points of uneven cost); a failing point is recorded while the others finish; a signal
// checkpoints the running points and a restarted sweep skips the finished ones and resumes.
import Foundation
import XCTest

final class SweepGroupsMultiRankTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("infomax-groups-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A small signal-noise problem; the grid's steps axis makes points of uneven cost.
    static let small = ["sweep", "--set", "signal_noise.d=60", "--set", "train_samples=16", "--set", "encoder.width=6",
                        "--set", "probe_train_samples=30", "--set", "test_samples=30", "--set", "log_every=2",
                        "--set", "optimizer.learning_rate=0.05", "--set", "encoder.init_scale=0.1", "--progress", "none"]

    func sweep(ranks: Int, _ args: [String], timeout: Double = 300) throws -> Launcher.Outcome {
        try Launcher.run(ranks: ranks, executable: "infomax", arguments: Self.small + args, timeout: timeout)
    }

    func summary(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("summary.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func pointNames(_ dir: URL) throws -> [String] {
        let data = try Data(contentsOf: dir.appendingPathComponent("sweep.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (json?["points"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// Every logged value of every point's metrics.csv (times excluded) is the same in both sweeps.
    func assertSamePoints(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let names = try pointNames(a)
        XCTAssertFalse(names.isEmpty, file: file, line: line)
        for name in names {
            let pa = a.appendingPathComponent("points/\(name)"), pb = b.appendingPathComponent("points/\(name)")
            try assertSameTrajectory(pa.appendingPathComponent("metrics.csv"), pb.appendingPathComponent("metrics.csv"),
                                     rtol: 0, file: file, line: line)
            let sa = try summary(pa), sb = try summary(pb)
            for key in ["final_loss", "test_accuracy", "train_accuracy", "signal_learning", "noise_memorization", "steps_completed", "ranks"] {
                XCTAssertEqual("\(sa[key] ?? "–")", "\(sb[key] ?? "–")", "\(name): \(key)", file: file, line: line)
            }
        }
    }

    /// The trajectory columns of two metrics.csv files agree (to `rtol`; 0 = the same text).
    func assertSameTrajectory(_ a: URL, _ b: URL, rtol: Double, file: StaticString = #filePath, line: UInt = #line) throws {
        func read(_ url: URL) throws -> [String: [String]] {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            guard let header = lines.first else { return [:] }
            var cols = [String: [String]]()
            for (j, name) in header.enumerated() { cols[name] = lines.dropFirst().map { j < $0.count ? $0[j] : "" } }
            return cols
        }
        let ca = try read(a), cb = try read(b)
        XCTAssertEqual(ca["step"], cb["step"], "logged steps differ: \(a.path)", file: file, line: line)
        for name in ["loss", "gradient_norm", "signal_learning", "noise_memorization", "train_accuracy", "test_accuracy"] {
            guard let xa = ca[name], let xb = cb[name] else { XCTFail("column \(name) missing", file: file, line: line); continue }
            for (i, (sa, sb)) in zip(xa, xb).enumerated() where sa != sb {
                let va = Double(sa) ?? .nan, vb = Double(sb) ?? .nan
                XCTAssertLessThanOrEqual(abs(va - vb), rtol * max(abs(va), abs(vb)), "\(a.path) \(name) row \(i): \(sa) vs \(sb)",
                                         file: file, line: line)
            }
        }
    }

    func testGroupsOfOneAndTwoRanksGiveTheResultsOfEachPointRunAlone() throws {
        // 8 points: 4 and 40 steps (a 10× cost difference) × 2 seeds × both modes.
        let grid = ["--grid", "steps=4,40", "--grid", "seed=1,2"]
        for k in [1, 2] {
            // Reference: every point alone on k ranks (the sweep without groups, at k ranks).
            let ref = scratch.appendingPathComponent("alone-\(k)")
            let r = try sweep(ranks: k, grid + ["--output", ref.path])
            XCTAssertEqual(r.status, 0, r.output)

            let dir = scratch.appendingPathComponent("groups-\(k)")
            let o = try sweep(ranks: 4, grid + ["--ranks-per-point", "\(k)", "--output", dir.path])
            XCTAssertFalse(o.timedOut)
            XCTAssertEqual(o.status, 0, o.output)
            XCTAssertTrue(o.output.contains("\(4 / k) groups of \(k) rank(s), 8 point(s) to run"), o.output)
            // Dynamic hand-out: more than one group ran points, and the progress view is printed once.
            let groups = Set(o.output.split(separator: "\n").compactMap { l -> Substring? in
                guard let r = l.range(of: "on group ") else { return nil }
                return l[r.upperBound...].prefix(1)
            })
            XCTAssertEqual(groups.count, 4 / k, "every group got points:\n\(o.output)")
            XCTAssertEqual(o.output.components(separatedBy: "[sweep] point 1/8:").count - 1, 1, o.output)
            XCTAssertTrue(o.output.contains("left 0"), o.output)
            XCTAssertTrue(o.output.contains("ETA"), o.output)
            let csv = try String(contentsOf: dir.appendingPathComponent("sweep.csv"), encoding: .utf8)
            XCTAssertEqual(csv.split(separator: "\n").count, 9, csv)
            XCTAssertEqual(csv.components(separatedBy: ",completed,").count - 1, 8, csv)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
            try assertSamePoints(ref, dir)
        }

        // A k that does not divide the rank count is refused once, by rank 0, with exit 64.
        let bad = try sweep(ranks: 4, grid + ["--ranks-per-point", "3", "--output", scratch.appendingPathComponent("bad").path])
        XCTAssertEqual(bad.status, 64, bad.output)
        XCTAssertEqual(bad.output.components(separatedBy: "must divide").count - 1, 1, bad.output)
    }

    func testAFailingPointIsRecordedAndTheOthersFinish() throws {
        // A learning rate of 1e30 makes the loss infinite at the first update: exit 70 for that point.
        let dir = scratch.appendingPathComponent("failing")
        let o = try sweep(ranks: 4, ["--set", "mode=\"multi-modal\"", "--set", "steps=20",
                                     "--grid", "optimizer.learning_rate=0.05,1e30", "--grid", "seed=1,2,3",
                                     "--ranks-per-point", "2", "--output", dir.path])
        XCTAssertFalse(o.timedOut)
        XCTAssertEqual(o.status, 70, "the sweep's exit code is the failed points' (NaN loss):\n\(o.output)")
        XCTAssertEqual(o.output.components(separatedBy: "FAILED (exit 70").count - 1, 3, o.output)
        XCTAssertTrue(o.output.contains("3 of 6 point(s) failed"), o.output)
        let csv = try String(contentsOf: dir.appendingPathComponent("sweep.csv"), encoding: .utf8)
        let rows = csv.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 6, csv)
        XCTAssertEqual(rows.filter { $0.contains(",completed,") || $0.hasSuffix(",completed,") }.count, 3, csv)
        XCTAssertEqual(rows.filter { $0.contains(",failed,") }.count, 3, csv)
        for name in try pointNames(dir) {
            let s = try summary(dir.appendingPathComponent("points/\(name)"))
            if name.contains("learning_rate-1e30") {
                XCTAssertEqual(s["status"] as? String, "failed", name)
                XCTAssertTrue((s["error"] as? String)?.isEmpty == false, "\(name): the error is recorded")
            } else {
                XCTAssertEqual(s["status"] as? String, "completed", name)
                XCTAssertEqual(s["steps_completed"] as? Int, 20, name)
            }
        }
    }

    func testASignalCheckpointsAndARestartSkipsFinishedAndResumes() throws {
        // Two quick points and two long ones on 2 groups of 2 ranks.
        let base = ["--set", "mode=\"single-modal\"", "--set", "log_every=20", "--grid", "steps=5,1000", "--grid", "seed=1,2"]
        let grid = base + ["--ranks-per-point", "2"]
        let dir = scratch.appendingPathComponent("interrupted")
        let exe = Launcher.productsDirectory.appendingPathComponent("infomax").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mpirun", "-np", "4", "--oversubscribe", "--bind-to", "none", exe] + Self.small + grid + ["--output", dir.path]
        var env = Launcher.cleanEnvironment()
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"; env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"; env["OPENBLAS_NUM_THREADS"] = "1"
        env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        // Every step at least 10 ms longer (the test fault slow=*:0.01): a long point runs for
        // over 10 s however fast the code, so the signal finds it running.
        env["INFOMAX_FAULTS"] = "slow=*:0.01"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Signal once both quick points are finished and a long one has logged rows.
        let names = ["steps-5_seed-1", "steps-5_seed-2"]
        let long = dir.appendingPathComponent("points/steps-1000_seed-1/metrics.csv")
        var ready = false
        let start = Date()
        while !ready, p.isRunning, Date().timeIntervalSince(start) < 120 {
            let quickDone = names.allSatisfy { (try? summary(dir.appendingPathComponent("points/\($0)")))?["status"] as? String == "completed" }
            let longLines = (try? String(contentsOf: long, encoding: .utf8))?.split(separator: "\n").count ?? 0
            ready = quickDone && longLines >= 3
            if !ready { usleep(20_000) }
        }
        guard ready else {
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            return XCTFail("the quick points did not finish, or the long one logged no rows, before the sweep "
                           + "ended or 120 s passed (sweep exit \(p.terminationStatus))")
        }
        let before = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("points/steps-5_seed-1/summary.json").path)[.modificationDate] as? Date
        kill(p.processIdentifier, SIGUSR1)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 75, "a signalled sweep exits 75 after checkpointing its running points")
        let checkpointed = try summary(dir.appendingPathComponent("points/steps-1000_seed-1"))
        XCTAssertEqual(checkpointed["status"] as? String, "checkpointed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("points/steps-1000_seed-1/checkpoint.ckpt").path))

        // Restart: the quick points are skipped, the long ones resume from their checkpoints.
        let again = try sweep(ranks: 4, grid + ["--output", dir.path])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("2/4 points already finished, skipped"), again.output)
        let after = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("points/steps-5_seed-1/summary.json").path)[.modificationDate] as? Date
        XCTAssertEqual(before, after, "a finished point is not run again")
        let resumed = try summary(dir.appendingPathComponent("points/steps-1000_seed-1"))
        XCTAssertEqual(resumed["status"] as? String, "completed")
        XCTAssertGreaterThan(resumed["resumed_from_step"] as? Int ?? 0, 0, "resumed from its checkpoint")

        // The resumed point ends where the uninterrupted one does (that point alone on 2 ranks).
        let ref = scratch.appendingPathComponent("reference")
        let r = try sweep(ranks: 2, base + ["--index", "2", "--output", ref.path])
        XCTAssertEqual(r.status, 0, r.output)
        try assertSameTrajectory(ref.appendingPathComponent("points/steps-1000_seed-1/metrics.csv"),
                                 dir.appendingPathComponent("points/steps-1000_seed-1/metrics.csv"), rtol: 1e-5)
    }
}
