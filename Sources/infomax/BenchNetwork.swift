// BenchNetwork — the communication side of `infomax bench`: `bench allreduce` (the wrapper's
// all-reduce against the plain-C baseline of Tests/Bench), `bench network` (latency α and
// inverse bandwidth β fitted from measured exchanges, and the collectives the trainer uses
// against their α-β model), and `bench predict` (a bench.json's step extrapolated to more
// ranks on another network with that model).
import ArgumentParser
import Foundation
import MPI
import RunRecords
import Training

struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Time the Swift wrapper's in-place all-reduce (compare: Tests/Bench/run-allreduce-bench.sh).")

    @Option(help: "Size of the Float buffer, MiB.")
    var megabytes: Int = 16

    @Option(help: "Timed repetitions (median and mean of the slowest rank).")
    var repetitions: Int = 50

    func run() throws {
        let options = self
        MPIRun.run { comm in
            let r = try BenchAllreduceCore.run(
                comm: comm, megabytes: options.megabytes, repetitions: options.repetitions)
            if comm.isRoot {
                print(
                    String(
                        format: "swift allreduce np=%d %d MiB x %d: median %.3f ms mean %.3f ms",
                        comm.size, options.megabytes, options.repetitions, r.median, r.mean))
            }
            return ExitCodes.success
        }
    }
}

/// The α-β (Hockney) model: a message of n bytes costs α + β·n; the collectives the trainer
/// uses cost, with the bandwidth-optimal ring / recursive algorithms, on p ranks:
///   all-reduce of n bytes        2(p−1)·α + 2(p−1)/p · n·β
///   all-gather to n bytes total  (p−1)·α + (p−1)/p · n·β     (reduce-scatter alike)
///   ring loss exchange           per hop α + (n/p)·β, p−1 hops per pass (hidden if compute is longer)
struct CostModel: Codable {
    /// Latency per message, seconds.
    var alpha: Double
    /// Seconds per byte (1 / bandwidth).
    var beta: Double

    func allreduce(bytes n: Double, ranks p: Int) -> Double {
        p <= 1 ? 0 : 2 * Double(p - 1) * alpha + 2 * Double(p - 1) / Double(p) * n * beta
    }

    func allgather(totalBytes n: Double, ranks p: Int) -> Double {
        p <= 1 ? 0 : Double(p - 1) * alpha + Double(p - 1) / Double(p) * n * beta
    }

    /// Fit of t = α + β·n that weights both ends: α is the smallest time of the small messages
    /// (≤ 512 B, where latency dominates; the minimum because noise only adds), β the median of
    /// (t − α)/n over the large ones (≥ 64 KiB, where bandwidth dominates). A least-squares
    /// line would be set by the largest messages alone and could give a negative α.
    static func fit(bytes: [Double], seconds: [Double]) -> CostModel {
        func median(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.sorted()[x.count / 2] }
        let pairs = Array(zip(bytes, seconds))
        let alpha = pairs.filter { $0.0 <= 512 }.map(\.1).min() ?? 0
        let large = pairs.filter { $0.0 >= 65536 }
        var beta = median(large.map { ($0.1 - alpha) / $0.0 })
        if beta <= 0 { beta = large.map { $0.1 / $0.0 }.max() ?? 0 }
        return CostModel(alpha: alpha, beta: beta)
    }
}

struct BenchNetwork: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract:
            "Measure latency α and inverse bandwidth β between ranks, and check the collectives against the α-β model.",
        discussion: """
            Ranks exchange messages pairwise (MPI_Sendrecv, rank r with r xor 1) from 8 \
            bytes to --max-megabytes; α is the smallest time of the small messages, β the \
            median extra time per byte of the large ones (t = α + β·n). Then the \
            all-reduce and all-gather the trainer uses are timed at the same sizes and \
            printed next to the model's prediction.

            Needs at least 2 ranks; run it with the ranks placed as a real job places \
            them (same node: shared memory; across nodes: the interconnect).
            """)

    @Option(help: "Largest message, MiB.")
    var maxMegabytes: Int = 16

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    struct Row: Codable {
        var bytes: Int
        var exchange: Double
        var allreduce: Double
        var allreduceModel: Double
        var allgather: Double
        var allgatherModel: Double
    }

    struct Result: Codable {
        var ranks: Int
        var model: CostModel
        var rows: [Row]
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            guard comm.size >= 2 else {
                throw RootError(
                    message: "bench network needs at least 2 ranks (mpirun -np 2 infomax bench network)",
                    exitCode: ExitCodes.usage)
            }
            guard options.maxMegabytes >= 1 else {
                throw RootError(
                    message: "--max-megabytes must be at least 1, got \(options.maxMegabytes)",
                    exitCode: ExitCodes.usage)
            }
            var sizes: [Int] = []
            var n = 8
            while n <= options.maxMegabytes << 20 {
                sizes.append(n)
                n *= 4
            }
            let partner = comm.rank ^ 1
            /// Median over repetitions of the slowest rank's time of `body`.
            func time(_ reps: Int, _ body: () throws -> Void) throws -> Double {
                try body()
                try body()
                var t = [Double](repeating: 0, count: reps)
                for r in 0..<reps {
                    try comm.barrier()
                    let t0 = comm.wtime()
                    try body()
                    t[r] = comm.wtime() - t0
                }
                try comm.allreduce(inPlace: &t, op: .max)
                return t.sorted()[reps / 2]
            }
            var rows: [Row] = []
            for bytes in sizes {
                let count = bytes / 4
                let reps = bytes < 1 << 16 ? 200 : bytes < 1 << 22 ? 30 : 8
                let payload = [Float](repeating: 1, count: count)
                let exchange = try time(reps) {
                    if partner < comm.size {
                        _ = try comm.sendrecv(payload, to: partner, receiveCount: count, from: partner)
                    }
                }
                var reduced = payload
                let allreduce = try time(reps) { try comm.allreduce(inPlace: &reduced, op: .sum) }
                let share = [Float](repeating: 1, count: max(count / comm.size, 1))
                let allgather = try time(reps) { _ = try comm.allgather(share) }
                rows.append(
                    Row(
                        bytes: bytes, exchange: exchange, allreduce: allreduce, allreduceModel: 0,
                        allgather: allgather, allgatherModel: 0))
            }
            let model = CostModel.fit(bytes: rows.map { Double($0.bytes) }, seconds: rows.map(\.exchange))
            for i in rows.indices {
                let b = Double(rows[i].bytes)
                rows[i].allreduceModel = model.allreduce(bytes: b, ranks: comm.size)
                rows[i].allgatherModel = model.allgather(
                    totalBytes: Double(max(rows[i].bytes / 4 / comm.size, 1) * 4 * comm.size), ranks: comm.size)
            }
            guard comm.isRoot else { return ExitCodes.success }
            let result = Result(ranks: comm.size, model: model, rows: rows)
            if options.json {
                print(try RecordCoding.text(result))
                return ExitCodes.success
            }
            print(
                String(
                    format: "α-β fit over pairwise exchanges (%d ranks): α = %.2f µs, β = %.4f ns/B (%.2f GB/s)",
                    comm.size, model.alpha * 1e6, model.beta * 1e9, model.beta > 0 ? 1e-9 / model.beta : .infinity))
            print(
                "bytes".leftPadded(10) + "exchange µs".leftPadded(14) + "all-reduce µs".leftPadded(16)
                    + "model".leftPadded(10)
                    + "all-gather µs".leftPadded(16) + "model".leftPadded(10))
            for r in rows {
                print(
                    "\(r.bytes)".leftPadded(10)
                        + String(
                            format: "%14.1f%16.1f%10.1f%16.1f%10.1f", r.exchange * 1e6,
                            r.allreduce * 1e6, r.allreduceModel * 1e6, r.allgather * 1e6, r.allgatherModel * 1e6))
            }
            return ExitCodes.success
        }
    }
}

struct BenchPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Extrapolate a bench.json to more ranks on another network (α-β model, weak or strong scaling).",
        discussion: """
            Compute phases scale with the samples per rank (strong: 1/p; weak: \
            constant), except the loss's logits, which cover every global candidate \
            (strong: 1/p; weak: grow with p).

            Communication follows the α-β model of `bench network`:
              gradient all-reduce                 2(p−1)α + 2(p−1)/p·n·β
              loss all-gather / reduce-scatter    (p−1)α + (p−1)/p·N·k·β per call

            With --exchange ring the loss's communication is hidden when the logits \
            take longer than a hop.

            The last column, compute / step, is the share of the step that is not spent \
            waiting for the network (the parallel efficiency of the communication). \
            Typical InfiniBand HDR: --alpha-us 1.5 --gbytes-per-second 23. Example:

              infomax bench predict runs/bench/bench.json --ranks 64,1024 --scaling weak
            """)

    @Argument(help: ArgumentHelp("A bench.json written by infomax bench --output.", valueName: "bench.json"))
    var file: String

    @Option(help: ArgumentHelp("Rank counts to predict, comma-separated.", valueName: "p,p,..."))
    var ranks: String = "64,1024"

    @Option(help: "weak: the batch per rank stays fixed; strong: the global batch stays fixed.")
    var scaling: Scaling = .weak

    @Option(help: "Network latency α, microseconds.")
    var alphaUs: Double = 1.5

    @Option(help: "Network bandwidth per rank, GB/s (β = 1 / this).")
    var gbytesPerSecond: Double = 23

    func run() throws {
        guard LaunchEnvironment.rank == 0 else { return }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let bench: BenchReport
        do { bench = try RecordCoding.decode(BenchReport.self, from: data, url: URL(fileURLWithPath: file)) } catch let
            e as RecordError
        {
            guard case .malformed(_, let reason) = e else { throw e }
            throw ValidationError("\(file) is not a bench.json of infomax bench: \(reason)")
        }
        let ps = ranks.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ps.isEmpty, ps.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--ranks must list positive rank counts, e.g. 64,1024")
        }
        let model = CostModel(alpha: alphaUs * 1e-6, beta: 1 / (gbytesPerSecond * 1e9))
        print(
            String(
                format: "from %@ (%d ranks, global batch %d, %.4f s/step); network α = %.2f µs, %.1f GB/s; %@ scaling",
                file, bench.ranks, bench.globalBatch, bench.secondsPerStep, alphaUs, gbytesPerSecond, scaling.rawValue))
        print(
            "ranks".leftPadded(7) + "batch".leftPadded(10) + "compute s".leftPadded(12) + "all-reduce s".leftPadded(14)
                + "loss comm s".leftPadded(13) + "step s".leftPadded(10) + "compute share".leftPadded(15))
        for p in ps {
            let r = bench.predict(ranks: p, weak: scaling == .weak, model: model)
            print(
                "\(p)".leftPadded(7) + "\(r.batch)".leftPadded(10)
                    + String(
                        format: "%12.4f%14.4f%13.4f%10.4f%14.1f%%",
                        r.compute, r.allreduce, r.lossCommunication, r.step, 100 * r.efficiency))
        }
    }
}

/// What `bench predict` derives from a bench.json.
extension BenchReport {
    struct Prediction {
        var batch: Int
        var compute: Double
        var allreduce: Double
        var lossCommunication: Double
        var step: Double
        /// compute / step: the share of the step not spent waiting for the network.
        var efficiency: Double
    }

    /// Step time on `p` ranks. Per-sample phases (data, encoders, optimizer) scale with the
    /// local batch; the loss's compute with local × global batch.
    func predict(ranks p: Int, weak: Bool, model: CostModel) -> Prediction {
        let b0 = Double(globalBatch) / Double(ranks)
        let B = weak ? b0 * Double(p) : Double(globalBatch)
        let b = B / Double(p)
        let perSample = (phases.data + phases.forward + phases.backward) * b / b0
        let loss = phases.lossCompute * (b * B) / (b0 * Double(globalBatch))
        let compute = perSample + loss + phases.optimizer
        let params = Double((mode == .multiModal ? 2 : 1) * width * d) * 4
        let allreduce = model.allreduce(bytes: params, ranks: p)
        let k = Double(patches * width)
        let directions = mode == .multiModal && symmetric ? 2.0 : 1.0
        let callsPerDirection = stopGradient ? 1.0 : 2.0
        let embedding = B * k * 4
        var lossComm = directions * callsPerDirection * model.allgather(totalBytes: embedding, ranks: p)
        if exchange == "ring" {
            // Each hop carries b·k floats; it is hidden when the hop's logits take longer.
            let hop = model.alpha + b * k * 4 * model.beta
            let hopCompute = loss / Double(max(p, 1)) / directions
            lossComm = directions * 2 * Double(max(p - 1, 0)) * max(hop - hopCompute, 0)
        }
        let step = compute + allreduce + lossComm
        return Prediction(
            batch: Int(B), compute: compute, allreduce: allreduce, lossCommunication: lossComm, step: step,
            efficiency: step > 0 ? compute / step : 1)
    }
}
