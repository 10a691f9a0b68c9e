// `infomax bench` under mpirun: the step benchmark's JSON and CSV carry every figure the issue
// asks for, consistent across ranks (phases add up to the step, the global batch is split,
// bytes grow with ranks, allocations are counted); `bench predict` reads that JSON; `bench
// network` fits α and β; bad input is refused once, by rank 0, and every rank exits.
import Foundation
import XCTest

final class BenchMultiRankTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("infomax-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func bench(ranks: Int, _ extra: [String], dir: URL) throws -> [String: Any] {
        let args =
            ["bench", "--d", "64", "--width", "16", "--steps", "3", "--warmup", "2", "--output", dir.path, "--json"]
            + extra
        let o = try Launcher.run(ranks: ranks, executable: "infomax", arguments: args, timeout: 120)
        XCTAssertEqual(o.status, 0, o.output)
        let data = try Data(contentsOf: dir.appendingPathComponent("bench.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testStepBenchmarkReportsEveryFigure() throws {
        let one = try bench(ranks: 1, ["--batch", "96"], dir: scratch.appendingPathComponent("np1"))
        let dir = scratch.appendingPathComponent("np2")
        let two = try bench(ranks: 2, ["--batch", "96", "--exchange", "allgather"], dir: dir)

        XCTAssertEqual(two["schema"] as? String, "infomax-bench/1")
        XCTAssertEqual(two["ranks"] as? Int, 2)
        XCTAssertEqual(two["global_batch"] as? Int, 96)
        XCTAssertEqual(two["batch_per_rank"] as? [Int], [48, 48])
        let phases = try XCTUnwrap(two["phases"] as? [String: Double])
        XCTAssertEqual(
            Set(phases.keys),
            [
                "data", "forward", "loss_compute", "loss_communication", "loss_overlapped",
                "backward", "allreduce", "optimizer",
            ])
        let perRank = try XCTUnwrap(two["per_rank"] as? [[String: Any]])
        XCTAssertEqual(perRank.map { $0["rank"] as? Int }, [0, 1])
        for r in perRank {
            let p = try XCTUnwrap(r["phases"] as? [String: Double])
            let sum = p.filter { $0.key != "loss_overlapped" }.values.reduce(0, +)
            let step = try XCTUnwrap(r["seconds_per_step"] as? Double)
            XCTAssertGreaterThan(sum, 0.5 * step, "the phases account for the step: \(p) vs \(step)")
            XCTAssertLessThanOrEqual(sum, step * 1.05 + 1e-4, "phases are disjoint: \(p) vs \(step)")
            XCTAssertGreaterThan(try XCTUnwrap(r["peak_rss_bytes"] as? Int), 1 << 20)
        }
        let peak = try XCTUnwrap(two["sgemm_peak_gflops"] as? Double)
        XCTAssertGreaterThan(peak, 0.1)
        let achieved = try XCTUnwrap(two["gflops_per_rank"] as? Double)
        XCTAssertEqual(try XCTUnwrap(two["fraction_of_peak"] as? Double), achieved / peak, accuracy: 1e-9)
        // The GEMM work of the global step does not depend on how it is split.
        XCTAssertEqual(
            try XCTUnwrap(two["gflop_per_step"] as? Double), try XCTUnwrap(one["gflop_per_step"] as? Double),
            accuracy: 1e-9)
        // One rank sends (next to) nothing; two send the candidate exchange and the gradient
        // all-reduce: at least the 2·(p−1)/p·4·(2·16·64) bytes of the ring all-reduce of two 16 × 64 encoders.
        XCTAssertLessThan(try XCTUnwrap(one["bytes_per_step_per_rank"] as? Int), 100)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(two["bytes_per_step_per_rank"] as? Int), 2 * 16 * 64 * 4)
        // The allocation counter works in this build (a number, not null).
        XCTAssertNotNil(two["allocations_per_step"] as? Double, "allocations are counted")

        let csv = try String(contentsOf: dir.appendingPathComponent("bench.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, csv)
        XCTAssertTrue(lines[0].hasPrefix("rank,host,batch,seconds_per_step,data,forward,loss_compute"), csv)

        // bench predict extrapolates that file.
        let p = try Launcher.run(
            ranks: 1, executable: "infomax",
            arguments: ["bench", "predict", dir.appendingPathComponent("bench.json").path, "--ranks", "64,1024"],
            timeout: 60)
        XCTAssertEqual(p.status, 0, p.output)
        let rows = p.output.split(separator: "\n").filter {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("64 ")
                || $0.trimmingCharacters(in: .whitespaces).hasPrefix("1024 ")
        }
        XCTAssertEqual(rows.count, 2, p.output)
    }

    func testWeakScalingAndTheTable() throws {
        let o = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: [
                "bench", "--d", "64", "--width", "16", "--batch-per-rank", "40", "--steps", "2",
                "--mode", "single-modal", "--exchange", "allgather",
            ], timeout: 120)
        XCTAssertEqual(o.status, 0, o.output)
        XCTAssertTrue(o.output.contains("global batch 80 (40 per rank)"), o.output)
        for phase in [
            "data generation", "forward", "loss: local compute", "loss: communication", "backward",
            "gradient all-reduce", "optimizer", "GFLOP/s per rank", "sgemm peak", "bytes sent per step",
            "peak resident memory", "heap allocations per step",
        ] {
            XCTAssertTrue(o.output.contains(phase), "table shows \(phase):\n\(o.output)")
        }
        XCTAssertEqual(o.output.components(separatedBy: "infomax bench:").count - 1, 1, "printed once")
    }

    func testNetworkFitsAlphaAndBeta() throws {
        let o = try Launcher.run(
            ranks: 2, executable: "infomax", arguments: ["bench", "network", "--max-megabytes", "1", "--json"],
            timeout: 120)
        XCTAssertEqual(o.status, 0, o.output)
        let start = try XCTUnwrap(o.output.firstIndex(of: "{"))
        let json = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(o.output[start...].utf8)) as? [String: Any])
        let model = try XCTUnwrap(json["model"] as? [String: Double])
        XCTAssertGreaterThan(try XCTUnwrap(model["alpha"]), 0)
        XCTAssertGreaterThan(try XCTUnwrap(model["beta"]), 0)
        XCTAssertEqual((json["rows"] as? [Any])?.count, 9, "8 B to 1 MiB in steps of 4×")
    }

    func testBadInputIsRefusedOnceByRankZero() throws {
        let both = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: ["bench", "--batch", "8", "--batch-per-rank", "4"], timeout: 60)
        XCTAssertEqual(both.status, 64, both.output)
        XCTAssertEqual(both.output.components(separatedBy: "not both").count - 1, 1, both.output)

        let exchange = try Launcher.run(
            ranks: 2, executable: "infomax",
            arguments: ["bench", "--d", "32", "--width", "4", "--batch", "8", "--exchange", "carrier-pigeon"],
            timeout: 60)
        XCTAssertEqual(exchange.status, 64, exchange.output)
        // An ExpressibleByArgument enum: the parser's message, naming the option and its values, once.
        XCTAssertEqual(
            exchange.output.components(separatedBy: "'carrier-pigeon' is invalid for '--exchange").count - 1, 1,
            exchange.output)
        XCTAssertTrue(exchange.output.contains("'allgather'") && exchange.output.contains("'ring'"), exchange.output)

        let tooFew = try Launcher.run(
            ranks: 3, executable: "infomax", arguments: ["bench", "--batch", "2", "--d", "32"], timeout: 60)
        XCTAssertEqual(tooFew.status, 64, tooFew.output)
        XCTAssertEqual(tooFew.output.components(separatedBy: "train_samples").count - 1, 1, tooFew.output)

        let missing = try Launcher.run(
            ranks: 1, executable: "infomax",
            arguments: ["bench", "predict", scratch.appendingPathComponent("nope.json").path],
            timeout: 60)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("cannot read"), missing.output)
    }
}
