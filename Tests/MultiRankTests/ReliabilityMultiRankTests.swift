// Fault tests of `infomax train` under mpirun with the real faults: SIGINT to mpirun
// (summary.json `checkpointed`); kill -9 of rank 0 after time-based checkpoints; a rank
// that stops progressing (the stall watchdog names step and collective and ends the job with
// 74); kill -9 of mpirun (no rank survives 5 s).
import Foundation
import XCTest

final class ReliabilityMultiRankTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "infomax-reliability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// `mpirun -np ranks infomax train args` started in the background (output to `log`).
    func startTraining(ranks: Int, _ args: [String], log: URL, environment extra: [String: String] = [:]) throws
        -> Process
    {
        let exe = Launcher.productsDirectory.appendingPathComponent("infomax").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["mpirun", "-np", "\(ranks)", "--oversubscribe", "--bind-to", "none", exe, "train"] + args
        var env = Launcher.cleanEnvironment()
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OPENBLAS_NUM_THREADS"] = "1"
        env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    func train(ranks: Int, _ args: [String], timeout: Double = 240, environment: [String: String] = [:]) throws
        -> Launcher.Outcome
    {
        try Launcher.run(
            ranks: ranks, executable: "infomax", arguments: ["train"] + args, timeout: timeout, environment: environment
        )
    }

    /// Waits until metrics.csv in `folder` has a row for `step` (rows are logged every step here).
    /// A 2-rank single-modal run of a million steps in scratch/NAME (log NAME.log), returned once
    /// its step 20 is logged (asserted): a run to stop with a real signal.
    func startEndlessRun(_ name: String) throws -> (out: URL, mpirun: Process) {
        let out = scratch.appendingPathComponent(name)
        let p = try startTraining(
            ranks: 2,
            TrainerMultiRankTests.small + [
                "--mode", "single-modal", "--steps", "1000000",
                "--set", "log_every=1", "--output", out.path,
            ],
            log: scratch.appendingPathComponent("\(name).log"))
        XCTAssertTrue(waitForRow(out, step: 20))
        return (out, p)
    }

    func waitForRow(_ folder: URL, step: Int, timeout: Double = 240) -> Bool {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if let t = try? String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8),
                t.split(separator: "\n").dropFirst().contains(where: { Double($0.prefix { $0 != "," }) == Double(step) }
                )
            {
                return true
            }
            usleep(10_000)
        }
        return false
    }

    func summary(_ folder: URL) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("summary.json").path),
            let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return o
    }

    /// The metrics.csv columns that are the trajectory (times excluded), as text.
    func trajectory(_ folder: URL) throws -> [[String]] {
        let text = try String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first else { return [] }
        let keep = header.indices.filter { !header[$0].hasSuffix("_seconds") }
        return lines.map { row in keep.map { $0 < row.count ? row[$0] : "" } }
    }

    /// PIDs of the processes whose parent is `pid` (the ranks mpirun forked).
    func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { p in
            guard let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }

    /// Whether `pid` still runs (a zombie waiting for its new parent to reap it does not).
    func running(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    // SIGTERM to mpirun during a step longer than 2 s: Tests/Reliability/sigterm-long-step.sh
    // (`make reliability-check`; it needs the release build: a debug step at that size takes minutes).

    /// Ctrl-C (SIGINT to mpirun) also leaves the last completed step and a `checkpointed` summary.
    func testSIGINTToMpirunCheckpoints() throws {
        let (out, p) = try startEndlessRun("sigint")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        print("SIGINT to mpirun: exit \(p.terminationStatus)")
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.ckpt").path),
            "no checkpoint after SIGINT")
        let s = summary(out)
        XCTAssertEqual(s["status"] as? String, "checkpointed", "\(s)")
        XCTAssertGreaterThanOrEqual(s["steps_completed"] as? Int ?? 0, 20, "\(s)")
    }

    /// A rank that stops progressing (the test fault INFOMAX_FAULTS=stall=rank:step): the other
    /// rank's watchdog names the step and the collective, rank 0 checkpoints the last completed
    /// step and every rank ends with 74; resuming gives the uninterrupted result.
    func testStallWatchdogNamesStepAndCollectiveAndEndsTheJob() throws {
        let args = TrainerMultiRankTests.small + ["--mode", "single-modal", "--steps", "30", "--set", "log_every=1"]
        let reference = scratch.appendingPathComponent("reference")
        XCTAssertEqual(try train(ranks: 2, args + ["--output", reference.path]).status, 0)

        let out = scratch.appendingPathComponent("stalled")
        let o = try train(
            ranks: 2, args + ["--output", out.path, "--set", "stall_timeout_seconds=2"], timeout: 120,
            environment: ["INFOMAX_FAULTS": "stall=1:12"])
        XCTAssertFalse(o.timedOut, "the stalled job was not ended")
        XCTAssertEqual(o.status, 74, o.output)
        XCTAssertLessThan(o.seconds, 30, "the watchdog took too long")
        XCTAssertTrue(o.output.contains("infomax: stall: rank 0 on "), o.output)
        XCTAssertTrue(
            o.output.contains(
                "(limit 2 s) at step 12, waiting in the gradient all-reduce (MPI_Allreduce/MPI_Wait, or the ring's MPI_Start/MPI_Wait); ending the job (exit 74)."
            ), o.output)
        XCTAssertTrue(o.output.contains("the checkpoint of step 12 (the last completed step) is valid"), o.output)
        let s = summary(out)
        XCTAssertEqual(s["status"] as? String, "stalled", "\(s)")
        XCTAssertEqual(s["steps_completed"] as? Int, 12, "\(s)")

        let resumed = try train(ranks: 2, args + ["--output", out.path, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertEqual(
            try trajectory(out), try trajectory(reference), "the resumed run differs from the uninterrupted one")
    }

    /// The step a checkpoint file holds (its JSON payload follows two header lines).
    func checkpointStep(_ url: URL) -> Int? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let lines = data.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
        guard lines.count >= 3, let o = try? JSONSerialization.jsonObject(with: Data(lines[2])) as? [String: Any] else {
            return nil
        }
        return o["step"] as? Int
    }

    /// The rank (OMPI_COMM_WORLD_RANK) of process `pid`.
    func rank(of pid: Int32) -> Int? {
        guard let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        for entry in env.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if text.hasPrefix("OMPI_COMM_WORLD_RANK=") { return Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) }
        }
        return nil
    }

    /// checkpoint_minutes: rank 0 checkpoints on the clock while the run goes on, so kill -9 of
    /// rank 0 loses at most that much work; resuming from it gives the uninterrupted result.
    func testTimeBasedCheckpointBoundsTheLossOfKillNine() throws {
        // 6000 steps, each at least 1 ms longer (the test fault slow=*:0.001): over 6 s however
        // fast the code, so the 0.3 s cadence writes many checkpoints before the kill.
        let args =
            TrainerMultiRankTests.small + [
                "--mode", "single-modal", "--steps", "6000", "--set", "log_every=1000",
                "--set", "eval_every=6000",
            ]
        let reference = scratch.appendingPathComponent("reference")
        XCTAssertEqual(try train(ranks: 2, args + ["--output", reference.path]).status, 0)

        let out = scratch.appendingPathComponent("killed")
        let p = try startTraining(
            ranks: 2, args + ["--output", out.path, "--set", "checkpoint_minutes=0.005"],
            log: scratch.appendingPathComponent("killed.log"),
            environment: ["INFOMAX_FAULTS": "slow=*:0.001"])
        let ckpt = out.appendingPathComponent("checkpoint.ckpt")
        // Two checkpoints of different steps while the run goes on: the cadence works (0.3 s).
        var steps: [Int] = []
        let start = Date()
        while steps.count < 2, p.isRunning, Date().timeIntervalSince(start) < 120 {
            if let s = checkpointStep(ckpt), s != steps.last { steps.append(s) }
            usleep(50_000)
        }
        XCTAssertEqual(steps.count, 2, "no time-based checkpoints while the run went on (saw steps \(steps))")
        let rank0 = children(of: p.processIdentifier).first { rank(of: $0) == 0 }
        kill(try XCTUnwrap(rank0, "rank 0 not found"), SIGKILL)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        let saved = try XCTUnwrap(checkpointStep(ckpt), "the time-based checkpoint did not survive kill -9")
        XCTAssertGreaterThanOrEqual(saved, steps[1])
        print(
            "kill -9 of rank 0: checkpoint of step \(saved) on disk (cadence 0.3 s, checkpoints seen at steps \(steps))"
        )

        let resumed = try train(ranks: 2, args + ["--output", out.path, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertEqual(summary(out)["resumed_from_step"] as? Int, saved)
        XCTAssertEqual(
            try trajectory(out), try trajectory(reference), "the resumed run differs from the uninterrupted one")
    }

    /// kill -9 of mpirun: the ranks notice their launcher is gone and exit within 5 s; rank 0
    /// saves the last completed step first.
    func testKilledMpirunLeavesNoRankAfterFiveSeconds() throws {
        let (out, p) = try startEndlessRun("orphans")
        let ranks = children(of: p.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "expected mpirun's 2 ranks, found \(ranks)")
        let killed = Date()
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        while ranks.contains(where: running), Date().timeIntervalSince(killed) < 5 { usleep(20_000) }
        let gone = Date().timeIntervalSince(killed)
        let survivors = ranks.filter(running)
        print("kill -9 mpirun: ranks gone after \(String(format: "%.2f", gone)) s; survivors \(survivors)")
        for pid in survivors { kill(pid, SIGKILL) }
        XCTAssertTrue(survivors.isEmpty, "ranks \(survivors) still run 5 s after mpirun died")
        XCTAssertEqual(
            summary(out)["status"] as? String, "checkpointed", "rank 0 saves the last step when its launcher dies")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.ckpt").path))
    }
}
