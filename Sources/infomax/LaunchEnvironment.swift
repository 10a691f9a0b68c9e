// LaunchEnvironment — what the launcher (mpirun, srun) tells a process before MPI_Init:
// its rank, so that only rank 0 prints usage errors, and whether output is a terminal.
#if canImport(Glibc)
import Glibc
#endif

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

    /// Whether standard output is a terminal (progress bars) or a file (plain log lines).
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
}
