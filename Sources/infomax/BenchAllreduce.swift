// BenchAllreduce — the core of `infomax bench allreduce`: times the Swift wrapper's in-place
// all-reduce (SUM over a [Float]) with exactly the procedure of Tests/Bench/allreduce_c.c,
// so the two medians compare the wrapper's overhead against plain C MPI.
import MPI

/// Times `Communicator.allreduce(inPlace:op:)` on a buffer of floats.
struct BenchAllreduceCore {
    /// Untimed calls before measuring (first-touch of pages, connection set-up).
    static let warmup = 5

    /// Runs `warmup` untimed and `repetitions` timed in-place SUM all-reduces of `megabytes`
    /// MiB of floats. Each repetition starts after a barrier; its time is the maximum over
    /// ranks. Every rank must call this; every rank gets the same result.
    /// - Returns: the median and mean time of one all-reduce, in milliseconds.
    static func run(comm: Communicator, megabytes: Int, repetitions: Int) throws -> (median: Double, mean: Double) {
        guard megabytes > 0, repetitions > 0 else {
            throw MPIError.invalidArgument(
                "bench allreduce: megabytes (\(megabytes)) and repetitions (\(repetitions)) must be positive.")
        }
        let count = megabytes * (1 << 20) / MemoryLayout<Float>.stride
        var data = [Float](repeating: 0, count: count)
        for _ in 0..<warmup { try comm.allreduce(inPlace: &data, op: .sum) }

        var times = [Double](repeating: 0, count: repetitions)
        for r in 0..<repetitions {
            try comm.barrier()
            let start = comm.wtime()
            try comm.allreduce(inPlace: &data, op: .sum)
            times[r] = comm.wtime() - start
        }
        try comm.allreduce(inPlace: &times, op: .max)

        let mean = times.reduce(0, +) / Double(repetitions)
        let sorted = times.sorted()
        let mid = repetitions / 2
        let median = repetitions % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
        return (median * 1e3, mean * 1e3)
    }
}
