// BenchReport+Ranks — bench.json (RunRecords' `BenchReport`) made from the ranks' measurements
// of `infomax bench step`: the slowest phases, the GEMM rate against the sgemm peak, memory
// against its estimate; and the report as JSON and CSV (its table: BenchReport+Table).
import Linalg
import RunRecords
import Training

/// bench.json (RunRecords' `BenchReport`) from the ranks' measurements, and its table and CSV.
extension BenchReport {
    init(
        config: TrainConfig, mode: ModalityMode, steps: Int, warmup: Int, secondsPerStep: Double,
        sgemmPeakAlone: Double, ranks list: [RankBenchmark], allocationsCounted: Bool
    ) {
        self.init(
            ranks: list.count, globalBatch: config.batchSize == 0 ? config.trainSamples : config.batchSize,
            trainSamples: config.trainSamples, batchPerRank: list.map(\.batch), d: config.signalNoise.d,
            width: config.encoder.width, patches: 2, model: config.model, mode: mode,
            exchange: config.loss.exchange.rawValue,
            loss: config.loss.kind.rawValue, symmetric: config.loss.symmetric, stopGradient: config.loss.stopGradient,
            steps: steps, warmup: warmup, openblasThreads: Int(BLASInfo.threads), secondsPerStep: secondsPerStep,
            phases: list.dropFirst().reduce(list.first?.phases ?? PhaseSeconds()) { $0.maximum($1.phases) },
            sgemmPeakGflops: sgemmPeakAlone,
            sgemmPeakGflopsAllRanks: list.map(\.sgemmPeakGflops).reduce(0, +) / Double(max(list.count, 1)),
            bytesPerStepPerRank: list.map(\.bytesPerStep).max() ?? 0, peakRssBytes: list.map(\.peakRssBytes).max() ?? 0,
            estimatedPeakBytesPerRank: list.map {
                MemoryEstimate(config: config, ranks: list.count, rank: $0.rank, purpose: .bench).totalBytes.value
            },
            perRank: list)
        let flops = list.compactMap(\.gflopPerStep)
        if flops.count == list.count, !list.isEmpty, secondsPerStep > 0 {
            let total = flops.reduce(0, +)
            gflopPerStep = total
            gflopsTotal = total / secondsPerStep
            gflopsPerRank = total / Double(list.count) / secondsPerStep
            fractionOfPeak = gflopsPerRank.map { $0 / sgemmPeakAlone }
            let unfused = list.compactMap(\.unfusedGflopPerStep)
            if unfused.count == list.count {
                unfusedGflopPerStep = unfused.reduce(0, +)
                usefulGflopsPerRank = unfused.reduce(0, +) / Double(list.count) / secondsPerStep
                usefulFractionOfPeak = usefulGflopsPerRank.map { $0 / sgemmPeakAlone }
            }
        }
        if let top = list.indices.max(by: { list[$0].peakRssBytes < list[$1].peakRssBytes }),
            let estimate = estimatedPeakBytesPerRank[top], list[top].peakRssBytes > 0
        {
            estimatedPeakBytes = estimate
            peakEstimateRatio = Double(estimate) / Double(list[top].peakRssBytes)
        }
        allocationsPerStep = allocationsCounted ? list.compactMap(\.allocationsPerStep).max() : nil
        mpiAllocationsPerStep = allocationsCounted ? list.compactMap(\.mpiAllocationsPerStep).max() : nil
        blasAllocationsPerStep = allocationsCounted ? list.compactMap(\.blasAllocationsPerStep).max() : nil
    }

    func json() throws -> String {
        try RecordCoding.text(self)
    }

    /// One row per rank, plus the header.
    func csv() -> String {
        let phaseKeys = PhaseSeconds().named.map(\.key)
        var lines = [
            (["rank", "host", "batch", "seconds_per_step"] + phaseKeys
                + [
                    "peak_rss_bytes", "estimated_peak_bytes", "bytes_per_step", "allocations_per_step",
                    "sgemm_peak_gflops", "gflop_per_step",
                ])
                .joined(separator: ",")
        ]
        for (i, r) in perRank.enumerated() {
            let fields: [CSVField] =
                [.integer(r.rank), .text(r.host), .integer(r.batch), .number(r.secondsPerStep)]
                + r.phases.named.map { .number($0.seconds) }
                + [
                    .integer(r.peakRssBytes), estimatedPeakBytesPerRank[i].map { .integer($0) } ?? .text(""),
                    .integer(r.bytesPerStep), r.allocationsPerStep.map { .number($0) } ?? .text(""),
                    .number(r.sgemmPeakGflops), r.gflopPerStep.map { .number($0) } ?? .text(""),
                ]
            lines.append(fields.map(\.rendered).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
