// ScalingManifest: scaling.json of a scaling study (written by jobs/lib.sh's scaling_manifest:
// the kind, the rank counts, the bench options, the ones that failed, where and when it ran),
// and the columns of the scaling.csv the report derives from the study's bench.json files.
import Foundation

/// scaling.json. Rank counts are read as numbers and checked by the reader (so that `1.5`
/// is named as not a whole number rather than as a type error).
public struct ScalingManifest: Decodable, Sendable, Equatable {
    public static let file = "scaling.json"
    public static let currentSchema = "infomax-scaling/1"

    public var schema: String?
    /// "strong" or "weak".
    public var kind: String?
    public var ranks: [Double]?
    /// Rank counts whose bench failed (not reported).
    public var failed: [Double]?
    /// The `infomax bench` options every point used.
    public var benchFlags: [String]?
    /// The study's name as jobs/scaling.sh knows it (strong, weak, weak-data).
    public var study: String?
    public var launcher: String?
    public var host: String?
    public var created: String?
    public var slurmJobId: String?

    /// The descriptive entries (study, launcher, host, created, slurm_job_id) present, in the
    /// order the script writes them.
    public var details: [(key: String, value: String)] {
        [("study", study), ("launcher", launcher), ("host", host), ("created", created), ("slurm_job_id", slurmJobId)]
            .compactMap { k, v in v.map { (key: k, value: $0) } }
    }
}

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
