// swift-tools-version:6.0
// A package that depends on InfoMaxMPI by path and uses its MPI library product — the proof
// that the library is consumable (no unsafeFlags, a product a dependent can name). Built and
// run at 2 ranks by `make consumer-test` (Tests/Consumer/run.sh).
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where the repository
// was cloned; read it from the path rather than assume "InfoMaxMPI".
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "MPIConsumer",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "mpi-consumer",
            dependencies: [
                .product(name: "MPI", package: root.standardizedFileURL.lastPathComponent)
            ])
    ]
)
