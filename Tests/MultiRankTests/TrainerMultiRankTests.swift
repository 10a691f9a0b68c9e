// End-to-end tests of `infomax train` under mpirun: the same seed gives the same metrics at
// 1, 2 and 4 ranks; a signal checkpoints and a resumed run ends where an uninterrupted one
// does; bad input is reported once by rank 0 and every rank exits, without a hang.
import Foundation
import XCTest

final class TrainerMultiRankTests: XCTestCase {
    /// A small, fast configuration (signal-noise, d = 100, n = 24, m = 8).
    static let small = [
        "--set", "signal_noise.d=100", "--set", "train_samples=24", "--set", "encoder.width=8",
        "--set", "probe_train_samples=40", "--set", "test_samples=40", "--set", "log_every=3",
        "--set", "optimizer.learning_rate=0.05", "--set", "encoder.init_scale=0.1", "--progress", "none",
    ]

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("infomax-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func train(
        ranks: Int, _ args: [String], timeout: Double = 240,
        environment: [String: String] = [:]
    ) throws -> Launcher.Outcome {
        try Launcher.run(
            ranks: ranks, executable: "infomax", arguments: ["train"] + args, timeout: timeout,
            environment: environment)
    }

    /// The test fault (Training/FaultPlan.swift) of a stop request before step `step`.
    static func stop(at step: Int) -> [String: String] { ["INFOMAX_FAULTS": "stop=\(step)"] }

    /// Columns of a metrics.csv that must not depend on the rank count (times excluded).
    static let trajectoryColumns = [
        "step", "loss", "gradient_norm", "signal_learning", "noise_memorization",
        "text_signal_learning", "train_accuracy", "test_accuracy", "noise_memorization_se",
        "diagnostics_samples", "text_noise_memorization", "signal_inner_product",
        "noise_inner_product", "text_signal_inner_product", "sigmoid_scale", "sigmoid_bias", "temperature",
    ]

    func readCSV(_ url: URL) throws -> [String: [String]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = lines.first else { return [:] }
        var cols = [String: [String]]()
        for (j, name) in header.enumerated() { cols[name] = lines.dropFirst().map { j < $0.count ? $0[j] : "" } }
        return cols
    }

    /// `stepZeroFloor`: also allow, for the loss and the gradient norm, that fraction of their
    /// step-0 value — near convergence both are differences of terms of the step-0 size, so
    /// their Float rounding does not shrink with them (the weights' columns keep `rtol`).
    func assertSameTrajectory(
        _ a: URL, _ b: URL, rtol: Double = 1e-5, stepZeroFloor: Double = 0, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let ca = try readCSV(a)
        let cb = try readCSV(b)
        XCTAssertEqual(ca["step"], cb["step"], "logged steps differ", file: file, line: line)
        for name in Self.trajectoryColumns {
            guard let xa = ca[name], let xb = cb[name] else {
                XCTFail("column \(name) missing", file: file, line: line)
                continue
            }
            let floor =
                ["loss", "gradient_norm"].contains(name) ? stepZeroFloor * abs(Double(xa.first ?? "") ?? 0) : 0
            for (i, (sa, sb)) in zip(xa, xb).enumerated() {
                if sa.isEmpty || sb.isEmpty {
                    XCTAssertEqual(sa, sb, "\(name) row \(i)", file: file, line: line)
                    continue
                }
                let va = Double(sa) ?? .nan
                let vb = Double(sb) ?? .nan
                XCTAssertLessThanOrEqual(
                    abs(va - vb), 1e-6 + floor + rtol * max(abs(va), abs(vb)),
                    "\(name) row \(i): \(sa) vs \(sb)", file: file, line: line)
            }
        }
    }

    func testSameSeedSameMetricsAt1And2And4Ranks() throws {
        var folders: [URL] = []
        for n in [1, 2, 4] {
            let out = scratch.appendingPathComponent("np\(n)")
            let o = try train(ranks: n, Self.small + ["--mode", "compare", "--steps", "12", "--output", out.path])
            XCTAssertEqual(o.status, 0, o.output)
            XCTAssertTrue(
                o.output.contains("multi-modal") && o.output.contains("single-modal"),
                "comparison table missing:\n\(o.output)")
            folders.append(out)
        }
        for mode in ["multi-modal", "single-modal"] {
            let ref = folders[0].appendingPathComponent("points/\(mode)/metrics.csv")
            for f in folders.dropFirst() {
                try assertSameTrajectory(ref, f.appendingPathComponent("points/\(mode)/metrics.csv"))
            }
        }
        // The output folder is complete: config, sweep, comparison, summaries.
        for name in [
            "config.json", "sweep.json", "comparison.csv", "points/multi-modal/summary.json",
            "points/single-modal/metrics.jsonl",
        ] {
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: folders[1].appendingPathComponent(name).path), "\(name) missing")
        }
    }

    /// gradient.allreduce: the project's ring keeps the rank-count invariance (to the same
    /// tolerance as above); the MPI library's all-reduce gives the ring's bits at 1 and 2 ranks
    /// (one commutative addition) and the ring's trajectory to float rounding at 3 and 4, where
    /// the library's summation order differs from the ring's.
    func testGradientAllreduceChoicesAgreeAt1To4Ranks() throws {
        let args = Self.small + ["--mode", "compare", "--steps", "12", "--set", "log_every=1"]
        func run(_ ranks: Int, _ allreduce: String) throws -> URL {
            let out = scratch.appendingPathComponent("\(allreduce)\(ranks)")
            let o = try train(
                ranks: ranks, args + ["--set", "gradient.allreduce=\(allreduce)", "--output", out.path])
            XCTAssertEqual(o.status, 0, o.output)
            return out
        }
        var ringOne: URL?
        for ranks in 1...4 {
            let ring = try run(ranks, "ring")
            let library = try run(ranks, "mpi")
            for mode in ["multi-modal", "single-modal"] {
                let metrics = "points/\(mode)/metrics.csv"
                let a = try readCSV(ring.appendingPathComponent(metrics))
                let b = try readCSV(library.appendingPathComponent(metrics))
                if ranks <= 2 {
                    for name in Self.trajectoryColumns {
                        XCTAssertEqual(a[name], b[name], "\(mode) \(name): mpi and ring differ at \(ranks) ranks")
                    }
                } else {
                    try assertSameTrajectory(
                        ring.appendingPathComponent(metrics), library.appendingPathComponent(metrics))
                }
                if let ringOne {
                    // log_every = 1 logs the converged steps, where the summed (Huang) loss's
                    // gradient norm is ~1/200 of its step-0 value: 3 ranks differ from 1 by
                    // 2.4e-6 there (3.9e-5 relative) while the weights agree to 1e-7.
                    try assertSameTrajectory(
                        ringOne.appendingPathComponent(metrics), ring.appendingPathComponent(metrics),
                        stepZeroFloor: 1e-6)
                }
            }
            if ranks == 1 { ringOne = ring }
        }
    }

    /// loss.reduce_scatter: the MPI library's reduce-scatter of the candidates' gradient gives
    /// the ring's bits at 1 and 2 ranks (one commutative addition per element) and the ring's
    /// trajectory to float rounding at 3, where the library sums in its own order. The default
    /// loss (grouped all-gather plan) reduce-scatters its candidates' gradient every step.
    func testLossReduceScatterChoicesAgreeAt1To3Ranks() throws {
        let args = Self.small + ["--mode", "compare", "--steps", "12", "--set", "log_every=1"]
        for ranks in 1...3 {
            var outs: [URL] = []
            for choice in ["ring", "mpi"] {
                let out = scratch.appendingPathComponent("rs-\(choice)\(ranks)")
                let o = try train(
                    ranks: ranks, args + ["--set", "loss.reduce_scatter=\(choice)", "--output", out.path])
                XCTAssertEqual(o.status, 0, o.output)
                outs.append(out)
            }
            for mode in ["multi-modal", "single-modal"] {
                let metrics = "points/\(mode)/metrics.csv"
                if ranks <= 2 {
                    let a = try readCSV(outs[0].appendingPathComponent(metrics))
                    let b = try readCSV(outs[1].appendingPathComponent(metrics))
                    for name in Self.trajectoryColumns {
                        XCTAssertEqual(a[name], b[name], "\(mode) \(name): mpi and ring differ at \(ranks) ranks")
                    }
                } else {
                    try assertSameTrajectory(
                        outs[0].appendingPathComponent(metrics), outs[1].appendingPathComponent(metrics))
                }
            }
        }
    }

    func testMiniBatchTrajectoryIsTheSameAt1To4Ranks() throws {
        // Global batch 9 of n = 25: 9 divides neither n nor splits evenly over 2 or 4 ranks, and
        // 10 steps cross three epoch boundaries inside a batch (the Feistel epoch shuffle). Adam,
        // a cosine schedule; noise memorization on a fixed subset of 10 of the 25 samples.
        let args =
            Self.small + [
                "--mode", "multi-modal", "--steps", "10", "--set", "train_samples=25", "--set", "batch_size=9",
                "--set", "optimizer.kind=adam", "--set", "optimizer.learning_rate=0.01",
                "--set", "optimizer.schedule=cosine", "--set", "log_every=1", "--set", "diagnostics_samples=10",
            ]
        let folders = (1...4).map { scratch.appendingPathComponent("mb\($0)") }
        for (i, folder) in folders.enumerated() {
            let o = try train(ranks: i + 1, args + ["--output", folder.path])
            XCTAssertEqual(o.status, 0, o.output)
        }
        for folder in folders.dropFirst() {
            try assertSameTrajectory(
                folders[0].appendingPathComponent("metrics.csv"), folder.appendingPathComponent("metrics.csv"))
        }
        let csv = try readCSV(folders[0].appendingPathComponent("metrics.csv"))
        let rows = csv["loss"] ?? []
        XCTAssertEqual(rows.count, 11, "a row per step plus the final one")
        XCTAssertNotEqual(rows.first, rows.dropFirst().first, "mini-batches differ from step to step")
        XCTAssertEqual(
            Set((csv["diagnostics_samples"] ?? []).map { Double($0) }), [10],
            "the metrics say the diagnostics used a subset of 10")
        // ρ = 0 at step 0 (no change from W(0) yet): SE 0 there; after it, a subset estimate has one.
        XCTAssertEqual(csv["noise_memorization_se"]?.first.flatMap { Double($0) }, 0, "ρ = 0 at step 0")
        XCTAssertTrue(
            (csv["noise_memorization_se"] ?? []).dropFirst().allSatisfy { (Double($0) ?? 0) > 0 },
            "a subset estimate has a standard error")
    }

    func testSignalCheckpointsAndResumeMatchesUninterrupted() throws {
        let steps = "600"
        let reference = scratch.appendingPathComponent("reference")
        let r = try train(
            ranks: 2,
            Self.small + [
                "--mode", "single-modal", "--steps", steps, "--set", "log_every=50", "--output", reference.path,
            ])
        XCTAssertEqual(r.status, 0, r.output)

        // Interrupted run: SIGUSR1 to mpirun (which forwards it to every rank) once rows appear.
        let out = scratch.appendingPathComponent("interrupted")
        let exe = Launcher.productsDirectory.appendingPathComponent("infomax").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments =
            ["mpirun", "-np", "2", "--oversubscribe", "--bind-to", "none", exe, "train"] + Self.small
            + ["--mode", "single-modal", "--steps", steps, "--set", "log_every=50", "--output", out.path]
        var env = Launcher.cleanEnvironment()
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OPENBLAS_NUM_THREADS"] = "1"
        // Every step at least 10 ms longer (the test fault slow=*:0.01): the run lasts over 6 s
        // however fast the code, so the signal finds it running.
        env["INFOMAX_FAULTS"] = "slow=*:0.01"
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let metrics = out.appendingPathComponent("metrics.csv")
        var logged = false
        let start = Date()
        while !logged, p.isRunning, Date().timeIntervalSince(start) < 120 {
            logged = ((try? String(contentsOf: metrics, encoding: .utf8))?.split(separator: "\n").count ?? 0) >= 3
            if !logged { usleep(20_000) }
        }
        guard logged else {
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            return XCTFail("no two metrics rows before the run ended or 120 s passed (exit \(p.terminationStatus))")
        }
        kill(p.processIdentifier, SIGUSR1)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 75, "a signalled run exits 75 after its checkpoint")
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.ckpt").path),
            "no checkpoint written")
        let partial = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
        XCTAssertTrue(partial.contains("\"checkpointed\""), partial)

        // Without --resume the folder is refused; with it the run completes.
        let refused = try train(
            ranks: 2, Self.small + ["--mode", "single-modal", "--steps", steps, "--output", out.path])
        XCTAssertEqual(refused.status, 64, refused.output)
        XCTAssertTrue(refused.output.contains("--resume"), refused.output)
        let resumed = try train(
            ranks: 2,
            Self.small + [
                "--mode", "single-modal", "--steps", steps, "--set", "log_every=50",
                "--output", out.path, "--resume",
            ])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        try assertSameTrajectory(reference.appendingPathComponent("metrics.csv"), metrics, rtol: 1e-5)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.ckpt").path),
            "checkpoint left after completion")

        // A checkpoint from another configuration (d differs) is refused with the key named.
        let other = scratch.appendingPathComponent("other")
        let o1 = try train(
            ranks: 1,
            Self.small + [
                "--mode", "single-modal", "--steps", "40", "--set", "checkpoint_every=10",
                "--output", other.path,
            ])
        XCTAssertEqual(o1.status, 0, o1.output)
        // Completed runs delete their checkpoint; make one by signalling is slow, so copy the
        // interrupted run's checkpoint format: write it through a resumable run stopped early.
        let ck = try train(
            ranks: 1,
            Self.small + [
                "--mode", "single-modal", "--steps", "40", "--output", other.path, "--force",
                "--set", "checkpoint_every=10",
            ], environment: Self.stop(at: 20))
        XCTAssertEqual(ck.status, 75, ck.output)
        let mismatch = try train(
            ranks: 2,
            Self.small + [
                "--mode", "single-modal", "--steps", "40", "--output", other.path, "--resume",
                "--set", "signal_noise.d=120",
            ])
        XCTAssertEqual(mismatch.status, 65, mismatch.output)
        XCTAssertTrue(mismatch.output.contains("signal_noise.d"), mismatch.output)
        XCTAssertEqual(
            mismatch.output.components(separatedBy: "infomax: error").count - 1, 1,
            "error printed once:\n\(mismatch.output)")
    }

    /// Elastic resume: a checkpoint written at P ranks resumes at Q ≠ P ranks (a job that lost
    /// a node continues on the nodes it has) and ends with the uninterrupted run's metrics,
    /// every row: 2 → 3, 4 → 2 and 3 → 1, with uneven mini-batch splits and Adam's state.
    /// (Tests/multihost/run.sh does the same across namespace hosts.)
    func testElasticResumeAtAnotherRankCountMatchesUninterrupted() throws {
        let args =
            Self.small + [
                "--mode", "multi-modal", "--steps", "24", "--set", "batch_size=9", "--set", "optimizer.kind=adam",
                "--set", "optimizer.learning_rate=0.01", "--set", "optimizer.schedule=cosine", "--set", "log_every=1",
            ]
        let reference = scratch.appendingPathComponent("elastic-ref")
        let r = try train(ranks: 1, args + ["--output", reference.path])
        XCTAssertEqual(r.status, 0, r.output)
        for (p, q) in [(2, 3), (4, 2), (3, 1)] {
            let out = scratch.appendingPathComponent("elastic-\(p)to\(q)")
            let first = try train(ranks: p, args + ["--output", out.path], environment: Self.stop(at: 10))
            XCTAssertEqual(first.status, 75, "\(p) ranks, stopped at step 10:\n\(first.output)")
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.ckpt").path),
                "\(p) ranks wrote no checkpoint")
            let second = try train(ranks: q, args + ["--output", out.path, "--resume"])
            XCTAssertEqual(second.status, 0, "\(p) → \(q) ranks:\n\(second.output)")
            let summary = try String(contentsOf: out.appendingPathComponent("summary.json"), encoding: .utf8)
            XCTAssertTrue(
                summary.contains("\"resumed_from_step\" : 10"), "\(p) → \(q): not resumed from step 10: \(summary)")
            XCTAssertTrue(
                summary.contains("\"ranks\" : \(q)") || summary.contains("\"ranks\": \(q)"), "\(p) → \(q): \(summary)")
            try assertSameTrajectory(
                reference.appendingPathComponent("metrics.csv"), out.appendingPathComponent("metrics.csv"))
        }
    }

    /// Each bad input: non-zero exit on every rank, the message once, quickly, no finished run.
    func testBadInputIsReportedOnceAndEveryRankExits() throws {
        let bad = scratch.appendingPathComponent("bad.json")
        try Data("{\"steps\": 10, \"optimiser\": {}}".utf8).write(to: bad)
        let wrongType = scratch.appendingPathComponent("wrong.json")
        try Data("{\"loss\": {\"temperature\": \"hot\"}}".utf8).write(to: wrongType)
        let notJSON = scratch.appendingPathComponent("broken.json")
        try Data("{\"steps\": 10,".utf8).write(to: notJSON)
        let cases: [(args: [String], code: Int32, needle: String)] = [
            (["--config", bad.path], 64, "unknown config key 'optimiser' (did you mean 'optimizer'?)"),
            (["--config", wrongType.path], 64, "loss.temperature"),
            (["--config", notJSON.path], 65, "not valid JSON"),
            (["--config", scratch.appendingPathComponent("missing.json").path], 65, "no such file"),
            (["--set", "loss.temperature=0"], 64, "loss.temperature"),
            (["--set", "train_samples=-5"], 64, "train_samples"),
            (["--set", "train_samples=3"], 64, "at least the number of ranks"),
            (["--set", "model=\"cifar\""], 64, "one of signal-noise"),
            (
                [
                    "--set", "optimizer.learning_rate=1e30", "--set", "loss.similarity=\"dot\"", "--mode",
                    "multi-modal", "--steps", "50",
                ], 70, "became"
            ),
            (["--bogus-flag"], 64, "bogus"),
        ]
        for c in cases {
            let out = scratch.appendingPathComponent("run-\(UUID().uuidString)")
            let o = try train(ranks: 4, Self.small + c.args + ["--output", out.path], timeout: 60)
            XCTAssertFalse(o.timedOut, "\(c.args) hung")
            XCTAssertEqual(o.status, c.code, "\(c.args):\n\(o.output)")
            XCTAssertTrue(o.output.contains(c.needle), "\(c.args): message lacks '\(c.needle)':\n\(o.output)")
            let errors = o.output.components(separatedBy: "rror").count - 1
            XCTAssertLessThanOrEqual(errors, 2, "\(c.args): the message should appear once:\n\(o.output)")
            XCTAssertLessThan(o.seconds, 30, "\(c.args) took \(o.seconds) s")
            let summary = out.appendingPathComponent("summary.json")
            if let s = try? String(contentsOf: summary, encoding: .utf8) {
                XCTAssertFalse(s.contains("\"completed\""), "a failed run must not look finished")
            }
        }
    }
}
