// infomax — the command-line entry point. Parsing happens on every rank (so every rank
// agrees on what to do), but only rank 0 prints usage, help and parse errors: under mpirun
// a mistake is reported once and every rank exits with the same code.
import ArgumentParser
import Foundation
import MPI
import Training

do {
    var command = try InfoMaxCommand.parseAsRoot()
    try command.run()
} catch {
    let code = InfoMaxCommand.exitCode(for: error)
    if code.isSuccess {
        // --help, --version: print on rank 0 only; nothing to synchronise.
        if LaunchEnvironment.rank == 0 { InfoMaxCommand.exit(withError: error) }
        exit(code.rawValue)
    }
    // A usage error: rank 0 prints it, and the ranks meet in MPI_Finalize before exiting,
    // so mpirun cannot tear rank 0 down (on another rank's non-zero exit) mid-message.
    _ = try? MPIEnvironment.initialize()
    if LaunchEnvironment.rank == 0 {
        // One line, like every other error: the parser's message, then where to look.
        let message = InfoMaxCommand.message(for: error).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
        let shown = ConfigError.shown(message, limit: 2000)
        try? FileHandle.standardError.write(contentsOf: Data(("infomax: error: \(shown) (see `infomax help` or `infomax <command> --help`)\n").utf8))
    }
    MPIEnvironment.exit(code.rawValue)
}
