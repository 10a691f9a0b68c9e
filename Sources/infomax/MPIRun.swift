// MPIRun — runs a subcommand's body inside MPI: initialise, run, finalise; an error thrown
// on every rank alike is printed once by rank 0 and every rank exits with the same code.
import MPI
import Training
import Foundation

enum MPIRun {
    /// The run configuration every rank uses: rank 0 reads `path` (if any), every rank parses
    /// the same text with `settings` on top of the defaults and validates it for this rank
    /// count, so a bad file or value is reported once and every rank throws alike.
    static func loadConfig(_ comm: Communicator, path: String?, settings: [ConfigSetting]) throws -> TrainConfig {
        let text = try comm.onRoot(exitCode: ExitCodes.usage) { try path.map(ConfigLoader.readFile) ?? "" }
        let shared = try comm.broadcast(text ?? "")
        let cfg = try ConfigLoader.load(text: path == nil ? nil : shared, source: path ?? "", settings: settings)
        try cfg.validate(ranks: comm.size)
        return cfg
    }

    /// Refuses, before anything is allocated, configs whose estimated peak memory per node
    /// exceeds what the node can give (`MemoryBudget`): every rank reaches the same verdict and
    /// throws alike (exit 64; rank 0 prints the one line naming the key and both figures).
    /// Collective. Returns the gathered budget (for printing the estimate).
    @discardableResult
    static func checkMemory(_ comm: Communicator, _ configs: [TrainConfig],
                            purpose: MemoryEstimate.Purpose = .train) throws -> MemoryBudget {
        let budget = try MemoryBudget.gather(comm)
        do {
            for c in configs { try budget.check(c, purpose: purpose) }
        } catch let error as MemoryError {
            throw RootError(message: "\(error)", exitCode: ExitCodes.usage)
        }
        return budget
    }

    /// Initialises MPI, runs `body` with the world communicator, finalises and exits.
    /// Errors thrown by `body` must be thrown on every rank (they are printed by rank 0).
    static func run(_ body: (Communicator) throws -> Int32) -> Never {
        let comm: Communicator
        do {
            try MPIEnvironment.initialize()
            comm = try Communicator.world()
        } catch {
            try? FileHandle.standardError.write(contentsOf: Data(("infomax: cannot start MPI: \(error)\n").utf8))
            exit(ExitCodes.failure)
        }
        do {
            let code = try body(comm)
            MPIEnvironment.exit(code)
        } catch {
            if comm.isRoot {
                try? FileHandle.standardError.write(contentsOf: Data(("infomax: error: \(RootError.text(for: error))\n").utf8))
            }
            MPIEnvironment.exit(ExitCodes.code(for: error))
        }
    }
}
