// infomax — the command-line entry point. Parsing happens on every rank (so every rank
// agrees on what to do), but only rank 0 prints usage, help and parse errors: under mpirun
// a mistake is reported once and every rank exits with the same code.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

do {
    var command = try InfoMaxCommand.parseAsRoot()
    try command.run()
} catch {
    if LaunchEnvironment.rank == 0 {
        InfoMaxCommand.exit(withError: error)
    } else {
        exit(InfoMaxCommand.exitCode(for: error).rawValue)
    }
}
