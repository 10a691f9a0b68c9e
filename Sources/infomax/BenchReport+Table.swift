// BenchReport+Table — the human-readable table `infomax bench step` prints from its bench.json
// (`BenchReport`), and the right-aligned columns of the bench tables.
import Foundation
import RunRecords

extension BenchReport {
    /// The human-readable report.
    func table() -> String {
        func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
        func mb(_ b: Int) -> String { String(format: "%.1f MB", Double(b) / 1e6) }
        var out: [String] = []
        let b =
            batchPerRank.count > 1 && Set(batchPerRank).count == 1
            ? " (\(batchPerRank[0]) per rank)" : " (per rank: \(batchPerRank.map(String.init).joined(separator: ", ")))"
        out.append(
            "infomax bench: \(model.rawValue) \(mode.rawValue), \(loss) (\(symmetric && mode == .multiModal ? "symmetric" : "one direction")\(stopGradient ? ", stop-gradient" : "")), exchange \(exchange)"
        )
        out.append(
            "  \(ranks) rank(s), global batch \(globalBatch)\(b)"
                + (trainSamples == globalBatch ? " (full batch)" : " of n = \(trainSamples) (mini-batch)")
                + ", d \(d), width \(width), \(patches) patches; "
                + "\(steps) timed step(s) after \(warmup) warm-up; BLAS threads per rank \(openblasThreads)")
        out.append("")
        let cols = perRank.map { "rank \($0.rank)" }
        func row(_ name: String, _ values: [String], _ last: String) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + (values + [last]).map { $0.leftPadded(11) }.joined()
        }
        out.append(row("seconds per step", cols, "slowest"))
        for (i, phase) in PhaseSeconds().named.enumerated() {
            let values = perRank.map { f($0.phases.named[i].seconds) }
            let label = phase.key == "loss_overlapped" ? "  (" + phase.title + ")" : phase.title
            if phase.key == "loss_overlapped" && exchange != "ring" { continue }
            out.append(row(label, values, f(phases.named[i].seconds)))
        }
        out.append(row("step (wall)", perRank.map { f($0.secondsPerStep) }, f(secondsPerStep)))
        out.append("")
        if let gflopsPerRank, let fractionOfPeak, let gflopPerStep {
            out.append("GEMM work per step: \(f(gflopPerStep, 1)) GFLOP over all ranks")
            out.append(
                "achieved: \(f(gflopsPerRank, 1)) GFLOP/s per rank (\(f(gflopsTotal ?? 0, 1)) in total) = "
                    + "\(f(100 * fractionOfPeak, 1))% of the single-process sgemm peak \(f(sgemmPeakGflops, 1)) GFLOP/s"
            )
            out.append(
                "  (sgemm peak per rank with all \(ranks) rank(s) running it at once: \(f(sgemmPeakGflopsAllRanks, 1)) GFLOP/s, "
                    + "\(f(100 * gflopsPerRank / max(sgemmPeakGflopsAllRanks, 1e-9), 1))% of that)")
            if let usefulGflopsPerRank, let usefulFractionOfPeak, let unfusedGflopPerStep,
                unfusedGflopPerStep > gflopPerStep * (1 + 1e-12)
            {
                out.append(
                    "useful: \(f(usefulGflopsPerRank, 1)) GFLOP/s per rank = \(f(100 * usefulFractionOfPeak, 1))% of the peak, "
                        + "counting the plain algorithm's \(f(unfusedGflopPerStep, 1)) GFLOP per step (encoder gemms over every patch, "
                        + "the unfused loss; this step executes fewer)")
            }
        } else {
            out.append("GEMM work: not counted for this model")
        }
        out.append("bytes sent per step per rank: \(mb(bytesPerStepPerRank)) (loss exchange + gradient all-reduce)")
        out.append("peak resident memory per rank: " + perRank.map { mb($0.peakRssBytes) }.joined(separator: ", "))
        out.append(
            "  estimated before the run (infomax train --dry-run): "
                + estimatedPeakBytesPerRank.map { $0.map(mb) ?? "overflow" }.joined(separator: ", ")
                + (peakEstimateRatio.map { String(format: "; estimate / measured %.2f", $0) } ?? ""))
        if let allocationsPerStep {
            out.append(
                "heap allocations per step after warm-up: "
                    + perRank.map { f($0.allocationsPerStep ?? 0, 1) }.joined(separator: ", ")
                    + (allocationsPerStep > 0 ? "   (INFOMAX_ALLOC_TRACE=5 shows where)" : ""))
            if let mpiAllocationsPerStep {
                out.append(
                    "  and inside the MPI library: "
                        + perRank.map { f($0.mpiAllocationsPerStep ?? 0, 1) }.joined(separator: ", ")
                        + (mpiAllocationsPerStep > 0 ? "   (the library's own temporaries; not this project's)" : ""))
            }
            if let blasAllocationsPerStep {
                out.append(
                    "  and inside the BLAS library: "
                        + perRank.map { f($0.blasAllocationsPerStep ?? 0, 1) }.joined(separator: ", ")
                        + (blasAllocationsPerStep > 0
                            ? "   (its small-matrix kernels' buffers; not this project's)" : ""))
            }
        } else {
            out.append("heap allocations per step: not counted (malloc interposition unavailable in this build)")
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    /// Right-aligned in `width` columns (at least one space before it), for the bench tables.
    func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
