// The memory estimate: overflow-checked sizes, each model and mode, the component that names
// the culprit key, the available-memory detection (override, cgroup, MemAvailable) and the
// per-node verdict with its one-line message.
import Foundation
import Synthetic
import XCTest

@testable import Training

final class MemoryEstimateTests: XCTestCase {
    func config(_ overrides: [String]) throws -> TrainConfig {
        try ConfigLoader.load(text: nil, source: "", overrides: overrides)
    }

    func testByteCountArithmeticReportsOverflowInsteadOfTrapping() {
        XCTAssertEqual(ByteCount.product(3, 4, 5).value, 60)
        XCTAssertEqual(ByteCount.product(1 << 62, 2), .overflow)
        XCTAssertEqual(ByteCount.product(Int.max, 1).value, Int.max)
        XCTAssertEqual(ByteCount(Int.max) + ByteCount(1), .overflow)
        XCTAssertEqual(ByteCount.product(-1, 2), .overflow, "a negative size is never a valid byte count")
        XCTAssertTrue(ByteCount(5) < .overflow)
        XCTAssertFalse(ByteCount.overflow < ByteCount(Int.max))
        XCTAssertEqual(ByteCount(22_100_000_000).description, "22.1 GB")
        XCTAssertEqual(ByteCount(3_700_000_000_000).description, "3.7 TB")
        XCTAssertEqual(ByteCount(512).description, "512 B")
        XCTAssertTrue(ByteCount.overflow.description.hasPrefix("more than 9.22 EB"), ByteCount.overflow.description)
    }

    func testHugeDimensionOverflowsAndNamesItsKey() throws {
        let c = try config(["signal_noise.d=4611686018427387904"])
        let e = MemoryEstimate(config: c, ranks: 2, rank: 0)
        XCTAssertEqual(e.totalBytes, .overflow)
        let broken = try XCTUnwrap(e.components.first { $0.bytes == .overflow })
        XCTAssertEqual(MemoryEstimate.drivingKey(of: broken, in: c).key, "signal_noise.d")
    }

    func testWeightInitialisationRefusesAnOverflowingShapeInsteadOfTrapping() throws {
        XCTAssertThrowsError(
            try ProblemSupport.gaussianWeights(rows: 50, cols: 4_611_686_018_427_387_904, sigma: 0.01, seed: 1, item: 0)
        ) { error in
            guard case ConfigError.invalidValue(let key, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "encoder.width")
        }
        XCTAssertEqual(
            try ProblemSupport.gaussianWeights(rows: 3, cols: 4, sigma: 0.01, seed: 1, item: 0).storage.count, 12)
    }

    func testEveryModelAndModeHasAnEstimateThatGrowsWithItsSizes() throws {
        let cases: [[String]] = [
            ["model=\"signal-noise\""],
            ["model=\"latent-linear\"", "mode=\"multi-modal\""],
            ["model=\"cooccurrence\""],
            ["model=\"colored\""],
            ["model=\"colored\"", "mode=\"single-modal\"", "batch_size=64"],
            ["model=\"cooccurrence\"", "mode=\"single-modal\"", "cooccurrence.positives=\"resampled\""],
            [
                "model=\"cooccurrence\"", "mode=\"single-modal\"", "cooccurrence.positives=\"guided\"",
                "cooccurrence.negatives_drop=\"easy-negatives\"",
            ],
        ]
        for base in cases {
            for exchange in ["allgather", "ring"] {
                let small = try config(base + ["loss.exchange=\"\(exchange)\""])
                let big = try config(
                    base + ["loss.exchange=\"\(exchange)\"", "train_samples=100000", "encoder.width=400"])
                for ranks in [1, 3] {
                    let a = MemoryEstimate(config: small, ranks: ranks, rank: 0)
                    let b = MemoryEstimate(config: big, ranks: ranks, rank: 0)
                    let ta = try XCTUnwrap(a.totalBytes.value)
                    let tb = try XCTUnwrap(b.totalBytes.value)
                    XCTAssertGreaterThan(ta, MemoryEstimate.baselineBytes, "\(base)")
                    XCTAssertGreaterThan(tb, ta, "more samples and a wider encoder need more: \(base) \(exchange)")
                    XCTAssertFalse(a.components.isEmpty)
                    XCTAssertTrue(a.table().contains("estimated peak of rank 0"), a.table())
                }
            }
        }
    }

    func testAGuidedRunThatTrainsItsOwnGuideCountsTheGuidesRun() throws {
        // A co-occurrence vocabulary and width where the multi-modal run (two embedding tables,
        // text as well) outweighs the single-modal guided loss at a small batch.
        let base = [
            "model=\"cooccurrence\"", "cooccurrence.image_vocabulary=200000", "cooccurrence.text_vocabulary=200000",
            "encoder.width=64", "train_samples=64",
        ]
        let multi = MemoryEstimate(config: try config(base + ["mode=\"multi-modal\""]), ranks: 2, rank: 0)
        let own = MemoryEstimate(
            config: try config(base + ["mode=\"single-modal\"", "cooccurrence.positives=\"guided\""]), ranks: 2, rank: 0
        )
        let loaded = MemoryEstimate(
            config: try config(
                base + [
                    "mode=\"single-modal\"", "cooccurrence.positives=\"guided\"",
                    "cooccurrence.guide_run=\"/some/run\"",
                ]), ranks: 2, rank: 0)
        let tm = try XCTUnwrap(multi.totalBytes.value)
        let to = try XCTUnwrap(own.totalBytes.value)
        let tl = try XCTUnwrap(loaded.totalBytes.value)
        XCTAssertGreaterThan(tm, tl, "the setting must make the guide's run the larger")
        XCTAssertEqual(to, tm, "a run that trains its own guide peaks at the guide's run")
        XCTAssertEqual(own.mode, .multiModal)
        XCTAssertTrue(own.table().contains("(multi-modal: the guide's run, trained first)"), own.table())
        XCTAssertEqual(loaded.mode, .singleModal, "a guide read from guide_run is not trained here")
    }

    func testSignalNoiseComponentsFollowTheAllocations() throws {
        // d 1000, m 10, full batch of 100 on 2 ranks (b = 50), multi-modal, SGD without momentum.
        let c = try config(["signal_noise.d=1000", "encoder.width=10", "train_samples=100", "mode=\"multi-modal\""])
        let e = MemoryEstimate(config: c, ranks: 2, rank: 1)
        func bytes(_ prefix: String) -> Int? { e.components.first { $0.name.hasPrefix(prefix) }?.bytes.value }
        // Two encoders of m·d, each held 3 times (weights, gradient matrix, flat parameters); the
        // flat gradient is the gradient exchange's buffer (+ the stop element; 2 ranks: ring scratch).
        XCTAssertEqual(bytes("encoders' weights"), 2 * 10 * 1000 * 3 * 4)
        XCTAssertEqual(bytes("gradient all-reduce buffer"), (2 * 10 * 1000 + 1 + 2 * 10 * 1000 / 2 + 2) * 4)
        // Two views of b × 2d floats plus the labels.
        XCTAssertEqual(bytes("a step's input batch"), 2 * 50 * 2000 * 4 + 50 * 12)
        // All-gather: the 100 × 2m patch-wise candidates (stop-gradient: no gradient buffer).
        XCTAssertEqual(bytes("loss: gathered candidates"), 100 * 20 * 4)
        // Adam adds two moments.
        let adam = MemoryEstimate(
            config: try config([
                "signal_noise.d=1000", "encoder.width=10", "mode=\"multi-modal\"", "optimizer.kind=\"adam\"",
            ]),
            ranks: 2, rank: 1)
        XCTAssertEqual(
            adam.components.first { $0.name.hasPrefix("encoders' weights") }?.bytes.value, 2 * 10 * 1000 * 4 * 5)
        // Compare = the larger modality (multi-modal has two encoders).
        let both = MemoryEstimate(config: try config(["signal_noise.d=1000", "encoder.width=10"]), ranks: 2, rank: 1)
        XCTAssertEqual(both.mode, .multiModal)
        XCTAssertEqual(both.totalBytes, e.totalBytes)
    }

    func testRankZeroHoldsTheSignalNoiseDecompositions() throws {
        // K = 4096 noise rows > d = 2000: the Gram matrix is formed twice (the ridge path).
        let c = try config(["train_samples=20000", "batch_size=200", "diagnostics_samples=4096", "signal_noise.d=2000"])
        let (K, d, m) = (4096, 2000, c.encoder.width)
        let root = MemoryEstimate(config: c, ranks: 2, rank: 0)
        let other = MemoryEstimate(config: c, ranks: 2, rank: 1)
        let held = try XCTUnwrap(root.components.first { $0.name.contains("decompositions") })
        XCTAssertEqual(held.bytes.value, 2 * 8 * ((K + 1) * d + m * d + (K + 1) * m))
        XCTAssertEqual(held.phase, .resident)
        let building = try XCTUnwrap(root.components.first { $0.name.contains("Gram") })
        XCTAssertEqual(building.bytes.value, K * d * 4 + K * 8 + 2 * (K + 1) * (K + 1) * 8)
        XCTAssertFalse(other.components.contains { $0.name.contains("decompositions") || $0.name.contains("Gram") })
        XCTAssertGreaterThan(root.totalBytes, other.totalBytes)
    }

    func testMiniBatchMemoryDoesNotGrowWithTheTrainingSet() throws {
        // The epoch shuffle is computed per index and the diagnostics run over a bounded subset:
        // at batch 256, 10⁸ samples need exactly what 10⁵ need (signal-noise draws samples on demand).
        let base = ["batch_size=256", "signal_noise.d=500"]
        for ranks in [1, 2, 4] {
            let small = MemoryEstimate(config: try config(base + ["train_samples=100000"]), ranks: ranks, rank: 0)
            let large = MemoryEstimate(config: try config(base + ["train_samples=100000000"]), ranks: ranks, rank: 0)
            XCTAssertEqual(large.totalBytes, small.totalBytes, "ranks \(ranks):\n\(large.table())")
            XCTAssertNil(large.components.first { $0.name.contains("permutation") }, "no table of n")
            let indices = try XCTUnwrap(large.components.first { $0.name == "batch indices" })
            XCTAssertEqual(
                indices.bytes.value, Shard.block(count: 256, part: 0, parts: ranks).count * 8,
                "the local batch's Ints only")
        }
        // All n (diagnostics_samples = 0) brings back chunks of 4096 rows; a small K bounds them.
        func diagnostics(_ k: Int) throws -> Int {
            let e = MemoryEstimate(
                config: try config(base + ["train_samples=100000000", "diagnostics_samples=\(k)"]), ranks: 2, rank: 1)
            return try XCTUnwrap(e.components.first { $0.phase == .diagnostics }?.bytes.value)
        }
        let d = 500
        let m = 50
        let rowBytes = (d + 2 * m) * 4 + 8
        let signals = 2 * d * 4
        XCTAssertEqual(try diagnostics(0), 4096 * rowBytes + signals, "all n: full chunks of 4096 rows")
        XCTAssertEqual(try diagnostics(4096), 2048 * rowBytes + signals, "K = 4096 on 2 ranks: 2048 rows each")
        XCTAssertEqual(try diagnostics(100), 50 * rowBytes + signals)
        let diag = try XCTUnwrap(
            MemoryEstimate(config: try config(base), ranks: 1, rank: 0).components.first { $0.phase == .diagnostics })
        XCTAssertTrue(diag.keys.contains("diagnostics_samples"), "\(diag.keys)")
    }

    func testCheckpointKeeperAndBinaryCheckpointCosts() throws {
        // Single-modal d 1000, m 10: 10⁴ parameters; Adam saves two moments (3 × 10⁴ values).
        let c = try config([
            "signal_noise.d=1000", "encoder.width=10", "mode=\"single-modal\"", "optimizer.kind=\"adam\"",
        ])
        let saved = 3 * 10 * 1000
        let root = MemoryEstimate(config: c, ranks: 2, rank: 0)
        let other = MemoryEstimate(config: c, ranks: 2, rank: 1)
        func bytes(_ e: MemoryEstimate, _ prefix: String) -> Int? {
            e.components.first { $0.name.hasPrefix(prefix) }?.bytes.value
        }
        // Rank 0's keeper holds the last completed step for the whole run (4 B per saved value).
        let keeper = try XCTUnwrap(root.components.first { $0.name.hasPrefix("checkpoint keeper") })
        XCTAssertEqual(keeper.phase, .resident)
        XCTAssertEqual(keeper.bytes.value, saved * 4)
        XCTAssertNil(bytes(other, "checkpoint keeper"), "only rank 0 keeps a copy")
        // Writing (rank 0): body + file image + a second snapshot, raw Float32, not 48 B of JSON.
        XCTAssertEqual(bytes(root, "checkpoint writing"), saved * MemoryEstimate.checkpointWriteBytesPerValue)
        XCTAssertEqual(MemoryEstimate.checkpointWriteBytesPerValue, 12)
        XCTAssertNil(bytes(other, "checkpoint writing"))
        // Resuming: every rank decodes before the model exists and keeps the decoded copy.
        XCTAssertEqual(bytes(other, "checkpoint decoding"), saved * 16)
        XCTAssertEqual(bytes(root, "checkpoint decoding"), saved * 20)
        XCTAssertEqual(bytes(other, "resumed checkpoint"), saved * 4)
        XCTAssertNil(root.components.first { $0.name.contains("JSON") })
        // No bench keeps or writes checkpoints.
        XCTAssertNil(
            MemoryEstimate(config: c, ranks: 2, rank: 0, purpose: .bench).components.first {
                $0.name.contains("checkpoint")
            })
    }

    func testTheRingNeverHoldsTheGlobalCandidates() throws {
        let base = ["signal_noise.d=64", "encoder.width=64", "train_samples=65536", "mode=\"multi-modal\""]
        let gather = MemoryEstimate(config: try config(base), ranks: 4, rank: 1)
        let ring = MemoryEstimate(config: try config(base + ["loss.exchange=\"ring\""]), ranks: 4, rank: 1)
        XCTAssertNotNil(gather.components.first { $0.name.hasPrefix("loss: gathered candidates") })
        XCTAssertNil(ring.components.first { $0.name.hasPrefix("loss: gathered candidates") })
        XCTAssertLessThan(try XCTUnwrap(ring.totalBytes.value), try XCTUnwrap(gather.totalBytes.value))
        // The logits block stays at 4 Mi floats however large the batch (the fused symmetric
        // loss holds the whole b × B block only up to 16 Mi; here b × B = 2^30).
        let logits = try XCTUnwrap(gather.components.first { $0.name.hasPrefix("loss: fused logits") }?.bytes.value)
        XCTAssertLessThanOrEqual(logits, (1 << 22) * 4)
        // Small enough, it is held whole between the two passes.
        let small = MemoryEstimate(
            config: try config([
                "signal_noise.d=64", "encoder.width=64", "train_samples=4096",
                "mode=\"multi-modal\"",
            ]), ranks: 2, rank: 1)
        XCTAssertEqual(
            try XCTUnwrap(small.components.first { $0.name.hasPrefix("loss: fused logits") }?.bytes.value),
            2048 * 4096 * 4)
    }

    func testTheIssuesCrashingSizesNameTheirKeys() throws {
        let cases: [(String, String)] = [
            ("signal_noise.d=2000000000", "signal_noise.d"),
            ("train_samples=1000000000", "train_samples"),
            ("encoder.width=1000000000", "encoder.width"),
            ("probe_train_samples=1000000000", "probe_train_samples"),
        ]
        let budget = MemoryBudget(
            nodeOf: [0, 0], available: [0: MemoryAvailability(bytes: 22_100_000_000, source: "MemAvailable")],
            hosts: [0: "node1"])
        XCTAssertNoThrow(try budget.check(try config([])), "the default run fits in 22 GB")
        for (override, key) in cases {
            let c = try config([override])
            XCTAssertThrowsError(try budget.check(c), override) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("\(key) = "), "names \(key): \(text)")
                XCTAssertTrue(text.contains("22.1 GB (MemAvailable)"), "names what is available: \(text)")
                XCTAssertTrue(text.contains("needs "), text)
                XCTAssertFalse(text.contains("\n"), "one line: \(text)")
            }
        }
        // The probe's gathered features are rank 0's: its estimate is the larger one.
        let probe = try config(["probe_train_samples=1000000"])
        XCTAssertGreaterThan(
            try XCTUnwrap(MemoryEstimate(config: probe, ranks: 2, rank: 0).totalBytes.value),
            try XCTUnwrap(MemoryEstimate(config: probe, ranks: 2, rank: 1).totalBytes.value))
    }

    func testRanksOnOneNodeShareItsMemory() throws {
        let c = try config(["signal_noise.d=20000", "encoder.width=1000"])  // ~ 1 GB of model state per rank
        // Rank 0 needs more (the checkpoint keeper, writing, the probe fit): room for it and one
        // other rank and a half.
        let root = try XCTUnwrap(MemoryEstimate(config: c, ranks: 4, rank: 0).totalBytes.value)
        let one = try XCTUnwrap(MemoryEstimate(config: c, ranks: 4, rank: 1).totalBytes.value)
        XCTAssertGreaterThan(root, one)
        let roomForTwo = MemoryAvailability(bytes: root + one + one / 2, source: "cgroup memory.max")
        XCTAssertNoThrow(
            try MemoryBudget(nodeOf: [0, 0, 2, 2], available: [0: roomForTwo, 2: roomForTwo], hosts: [:]).check(c),
            "two ranks per node fit")
        XCTAssertThrowsError(
            try MemoryBudget(nodeOf: [0, 0, 0, 0], available: [0: roomForTwo], hosts: [0: "n0"]).check(c)
        ) { error in
            XCTAssertTrue("\(error)".contains("for the 4 ranks on host n0"), "\(error)")
        }
    }

    func testAvailabilityFromOverrideCgroupAndMeminfo() throws {
        XCTAssertEqual(
            try MemoryAvailability.detect(environment: ["INFOMAX_MEMORY_LIMIT_BYTES": "8e9"]),
            MemoryAvailability(bytes: 8_000_000_000, source: "INFOMAX_MEMORY_LIMIT_BYTES"))
        XCTAssertThrowsError(try MemoryAvailability.detect(environment: ["INFOMAX_MEMORY_LIMIT_BYTES": "lots"]))

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("memroot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("proc/meminfo", "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   20000000 kB\n")
        try write("proc/self/cgroup", "0::/job/step\n")
        try write("sys/fs/cgroup/job/step/memory.max", "max\n")
        XCTAssertEqual(
            try MemoryAvailability.detect(environment: [:], alreadyResident: 1000, root: root.path),
            MemoryAvailability(bytes: 20_000_000 * 1024 + 1000, source: "MemAvailable"), "no cgroup limit: MemAvailable"
        )
        try write("sys/fs/cgroup/job/step/memory.max", "4000000000\n")
        XCTAssertEqual(
            try MemoryAvailability.detect(environment: [:], root: root.path),
            MemoryAvailability(bytes: 4_000_000_000, source: "cgroup memory.max"), "a tighter cgroup limit wins")
        try write("proc/self/cgroup", "5:cpu,cpuacct:/x\n4:memory:/slurm/job7\n")
        try write("sys/fs/cgroup/memory/slurm/job7/memory.limit_in_bytes", "3000000000\n")
        XCTAssertEqual(
            try MemoryAvailability.detect(environment: [:], root: root.path),
            MemoryAvailability(bytes: 3_000_000_000, source: "cgroup memory.limit_in_bytes"), "cgroup v1")
    }
}
