// MPIRun — runs a subcommand's body inside MPI: initialise, run, finalise; an error thrown
// on every rank alike is printed once by rank 0 and every rank exits with the same code.
import MPI
import Training
#if canImport(Glibc)
import Glibc
#endif

enum MPIRun {
    /// Initialises MPI, runs `body` with the world communicator, finalises and exits.
    /// Errors thrown by `body` must be thrown on every rank (they are printed by rank 0).
    static func run(_ body: (Communicator) throws -> Int32) -> Never {
        let comm: Communicator
        do {
            try MPIEnvironment.initialize()
            comm = try Communicator.world()
        } catch {
            fputs("infomax: cannot start MPI: \(error)\n", stderr)
            exit(ExitStatus.failure)
        }
        do {
            let code = try body(comm)
            MPIEnvironment.exit(code)
        } catch {
            if comm.isRoot {
                fputs("infomax: error: \(error)\n", stderr)
            }
            MPIEnvironment.exit(ExitStatus.code(for: error))
        }
    }
}
