// ScalingManifest: scaling.json of a scaling study (written by jobs/lib.sh's scaling_manifest:
// the kind, the rank counts, the bench options, the ones that failed, where and when it ran).
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
