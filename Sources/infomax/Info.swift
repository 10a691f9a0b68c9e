// Info — `infomax info`: ranks, hosts, the MPI library and the BLAS each rank uses; with
// --config-keys-markdown, the config key table as Markdown (docs/config-keys.md).
import ArgumentParser
import Linalg
import MPI
import Foundation
import Training

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the MPI library, the ranks and the BLAS in use.",
        discussion: """
        Run it under mpirun to check a launch: every rank reports its host, pid and \
        BLAS threads.

        --config-keys-markdown prints the table of every config key (type, default, \
        allowed values, what it sets) as Markdown, without MPI: the text of \
        docs/config-keys.md.
        """)

    @Flag(help: "Print every config key as a Markdown table (docs/config-keys.md) and exit.")
    var configKeysMarkdown = false

    func run() throws {
        if configKeysMarkdown {
            print(ConfigKey.markdown(), terminator: "")
            return
        }
        MPIRun.run { comm in
            let level = try MPIEnvironment.initialize()
            let line = "rank \(comm.rank)/\(comm.size) host \(MPIEnvironment.processorName) pid \(getpid()) blas-threads \(BLASInfo.threads)"
            let lines = try comm.gatherv(Array(line.utf8) + [10])
            if let lines {
                let std = MPIEnvironment.standardVersion
                print("InfoMaxMPI")
                print("  ranks:        \(comm.size)")
                print("  MPI library:  \(MPIEnvironment.libraryVersion.split(separator: "\n").first.map(String.init) ?? "")")
                print("  MPI standard: \(std.major).\(std.minor), thread level \(level)")
                print("  BLAS:         \(BLASInfo.configuration)")
                print("  BLAS core:    \(BLASInfo.coreName), \(BLASInfo.threads) thread(s) per rank"
                      + (LaunchEnvironment.value("OPENBLAS_NUM_THREADS").map { " (OPENBLAS_NUM_THREADS=\($0))" } ?? ""))
                print(String(decoding: lines.values, as: UTF8.self), terminator: "")
            }
            return 0
        }
    }
}
