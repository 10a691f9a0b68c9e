// ScalingTable: the columns of a scaling study's scaling.csv, one row per rank count, that the
// report derives from the study's bench.json files.

/// One row of scaling.csv: a rank count's figures, relative to the fewest ranks (p0).
public enum ScalingTable {
    public static let file = "scaling.csv"

    /// The phases of a step as bench.json names them, in the order of a step.
    public static var phaseKeys: [String] { PhaseSeconds().named.map(\.key) }

    /// The columns of scaling.csv (times in seconds per step; phases are the slowest rank's).
    public static var header: [String] {
        ["ranks", "global_batch", "seconds_per_step", "speedup", "efficiency"]
            + phaseKeys.map { $0 + "_seconds" }
            + ["gflops_total", "fraction_of_peak", "bytes_per_step_per_rank", "peak_rss_bytes",
               "batch_per_rank", "ideal_seconds_per_step", "samples_per_second", "gflops_per_rank", "sgemm_peak_gflops",
               "sgemm_peak_gflops_all_ranks", "rank_time_spread", "allocations_per_step", "work_efficiency"]
    }
}
