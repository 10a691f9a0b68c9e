// Training/StepTimeMedian.swift — the median of a run's recent step times, from which the
// watchdog sets its limits; preallocated, so a step allocates nothing for it.

/// The median of the last 31 step times (preallocated; no allocation per step).
struct StepTimeMedian {
    private var ring = [Double](repeating: 0, count: 31)
    private var scratch = [Double](repeating: 0, count: 31)
    private var count = 0

    mutating func record(_ seconds: Double) {
        ring[count % ring.count] = seconds
        count += 1
    }

    /// Median step seconds so far, nil before the first step.
    mutating func median() -> Double? {
        let n = min(count, ring.count)
        guard n > 0 else { return nil }
        for i in 0..<n {   // insertion sort of ≤ 31 values
            let x = ring[i]
            var j = i
            while j > 0 && scratch[j - 1] > x { scratch[j] = scratch[j - 1]; j -= 1 }
            scratch[j] = x
        }
        return n % 2 == 1 ? scratch[n / 2] : 0.5 * (scratch[n / 2 - 1] + scratch[n / 2])
    }
}
