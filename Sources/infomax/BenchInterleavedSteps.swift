// BenchInterleavedSteps — `infomax bench --train-samples A --versus-train-samples B`: the step
// times of two training-set sizes, measured alternately in the same processes.
import Foundation
import MPI
import RunRecords
import Training

enum BenchInterleavedSteps {
    /// `bench --train-samples A --versus-train-samples B`: two trainers that differ only in n take
    /// their steps alternately (which one goes first alternates too), each step timed between
    /// barriers as the slowest rank's wall time; prints mean, median and fastest step per n and the
    /// ratios, and writes DIR/bench-versus.json with --output. Whatever load the machine has hits
    /// both alike, so the ratio is meaningful on a shared machine where absolute times are not.
    static func run(_ comm: Communicator, config a: TrainConfig, otherSamples: Int, mode: ModalityMode,
                    steps: Int, warmup: Int, output: URL?) throws -> Int32 {
        var b = a
        b.trainSamples = otherSamples
        try b.validate(ranks: comm.size)
        let configs = [a, b]
        let trainers = try configs.map { c in
            Trainer(config: c, mode: mode, problem: try makeProblem(config: c, mode: mode, comm: comm), comm: comm)
        }
        var states = trainers.map { $0.initialState() }
        var times = [[Double]](repeating: [], count: 2)
        var scratch = StepTiming()
        for s in 0..<(warmup + steps) {
            for k in (s % 2 == 0 ? [0, 1] : [1, 0]) {
                try comm.barrier()
                let t0 = comm.wtime()
                _ = try trainers[k].computeGradient(&states[k], timing: &scratch)
                trainers[k].applyUpdate(&states[k], timing: &scratch)
                if s >= warmup { times[k].append(comm.wtime() - t0) }
            }
        }
        for k in 0..<2 { try comm.allreduce(inPlace: &times[k], op: .max) }
        guard comm.isRoot else { return ExitCodes.success }
        func median(_ x: [Double]) -> Double {
            let s = x.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let stats = times.map {
            (mean: $0.reduce(0, +) / Double($0.count), median: median($0), fastest: $0.min() ?? .nan)
        }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        let batch = a.batchSize == 0 ? a.trainSamples : a.batchSize
        print("infomax bench --versus-train-samples: \(comm.size) rank(s), global batch \(batch), d \(a.signalNoise.d), "
              + "width \(a.encoder.width), \(mode.rawValue); \(steps) timed steps each, alternating, after \(warmup) warm-up")
        print("n".padding(toLength: 16, withPad: " ", startingAt: 0)
              + ["mean s/step", "median", "fastest"].map { $0.leftPadded(14) }.joined())
        for k in 0..<2 {
            print("\(configs[k].trainSamples)".padding(toLength: 16, withPad: " ", startingAt: 0)
                  + [stats[k].mean, stats[k].median, stats[k].fastest].map { f($0).leftPadded(14) }.joined())
        }
        let ratio = (mean: stats[1].mean / stats[0].mean, median: stats[1].median / stats[0].median,
                     fastest: stats[1].fastest / stats[0].fastest)
        print("ratio n = \(b.trainSamples) / n = \(a.trainSamples): mean \(f(ratio.mean)), median \(f(ratio.median)), "
              + "fastest \(f(ratio.fastest))")
        if let output {
            let json: [String: Any] = [
                "schema": "infomax-bench-versus/1", "ranks": comm.size, "global_batch": batch, "d": a.signalNoise.d,
                "width": a.encoder.width, "mode": mode.rawValue, "steps": steps, "warmup": warmup,
                "train_samples": configs.map(\.trainSamples), "step_seconds": times,
                "mean_seconds_per_step": stats.map(\.mean), "median_seconds_per_step": stats.map(\.median),
                "ratio_mean": ratio.mean, "ratio_median": ratio.median, "ratio_fastest": ratio.fastest]
            let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
            try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n",
                                 to: output.appendingPathComponent("bench-versus.json"))
            print("wrote \(output.path)/bench-versus.json")
        }
        return ExitCodes.success
    }
}
