// LaunchEnvironment — what the launcher (mpirun, srun) tells a process before MPI_Init:
// its rank, so that only rank 0 prints usage errors, and whether output is a terminal.
import Foundation

enum LaunchEnvironment {
    /// The rank the launcher assigned (0 when not launched by mpirun / srun).
    static var rank: Int {
        for key in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"] {
            if let v = getenv(key), let r = Int(String(cString: v)) { return r }
        }
        return 0
    }

    /// The value of an environment variable.
    static func value(_ key: String) -> String? { getenv(key).map { String(cString: $0) } }

    /// Whether progress may rewrite one line in place by default: standard output is a
    /// terminal of a known type and no launcher sits in between. (mpirun hands ranks a
    /// pseudo-terminal even when its own output goes to a file, so under mpirun or srun the
    /// default is plain lines; `--progress bar` asks for the bar anyway.)
    static var stdoutIsTerminal: Bool {
        guard isatty(STDOUT_FILENO) != 0 else { return false }
        for key in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "SLURM_JOB_ID"] where value(key) != nil {
            return false
        }
        guard let term = value("TERM"), !term.isEmpty, term != "dumb" else { return false }
        return true
    }
}
