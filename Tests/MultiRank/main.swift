// multirank-checks — the checks that need several ranks, run by MultiRankTests through
// `mpirun -np N multirank-checks SUITE`. Each suite lives in its own file.
import Foundation
import MPI

#if canImport(Glibc)
    import Glibc
#endif

let suites: [String: (Communicator) throws -> Int32] = [
    "mpi": mpiChecks,
    "abort": abortCheck,
    "synthetic": syntheticChecks,
    "infomax": { try infomaxChecks($0) },
    "infomax-focused": { try infomaxChecks($0, focused: true) },
    "guided": guidedChecks,
    "exchange": exchangeChecks,
    "sigmoid": sigmoidChecks,
    "temperature": temperatureChecks,
]

let args = CommandLine.arguments
guard args.count >= 2, let suite = suites[args[1]] else {
    try? FileHandle.standardError.write(
        contentsOf: Data(("usage: multirank-checks {\(suites.keys.sorted().joined(separator: "|"))} [args...]\n").utf8))
    exit(2)
}
do {
    try MPIEnvironment.initialize()
    let code = try suite(try Communicator.world())
    MPIEnvironment.exit(code)
} catch {
    try? FileHandle.standardError.write(contentsOf: Data(("multirank-checks \(args[1]): \(error)\n").utf8))
    MPIEnvironment.exit(1)
}
