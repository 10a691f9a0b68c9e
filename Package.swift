// swift-tools-version:6.0
// InfoMaxMPI: contrastive (InfoMax / InfoNCE) learning on synthetic data across MPI ranks.
// Layers, lowest first (an arrow only points down): CMPI, CBLAS, CRandom -> MPI, Linalg -> Synthetic
// -> InfoMax -> Evaluation -> Training -> Report -> infomax (CLI); RunRecords (the file formats,
// Foundation only) sits below Training and Report, which both import it. See README.md.
//
// No unsafeFlags: SwiftPM refuses them in a package that is a dependency, and the products
// below are meant to be depended on. Release builds are checked (-O: gemm's shape
// preconditions stay); the Makefile's build command adds the one speed flag it measured.
// Each target declares exactly the modules its sources import.
import PackageDescription

let realModule: Target.Dependency = .product(name: "RealModule", package: "swift-numerics")

/// The MPI library the CMPI system library wraps, chosen when the package is built (also as a
/// dependency): INFOMAX_MPI=openmpi (the default; pkg-config `ompi-c`, handles are pointers) or
/// INFOMAX_MPI=mpich (MPICH and the libraries built on it: Cray MPICH, Intel MPI, MVAPICH2;
/// pkg-config `mpich`, integer handles). INFOMAX_MPI_PKGCONFIG names another pkg-config file of
/// the same family (the one a site's MPI module provides). Build each into its own scratch
/// folder (`make build MPI=mpich` uses .build-mpich). See docs/cluster.md.
let mpiFamily = Context.environment["INFOMAX_MPI"] ?? "openmpi"
guard mpiFamily == "openmpi" || mpiFamily == "mpich" else {
    fatalError("INFOMAX_MPI=\(mpiFamily): choose openmpi (the default) or mpich (also Cray MPICH, Intel MPI, ...)")
}
let mpich = mpiFamily == "mpich"
let mpiPkgConfig = Context.environment["INFOMAX_MPI_PKGCONFIG"] ?? (mpich ? "mpich" : "ompi-c")
/// MPICH's handles (MPI_Comm, MPI_Request, ...) are ints, Open MPI's pointers (optionals in
/// Swift): MPI_INTEGER_HANDLES tells the MPI target which (Sources/MPI/Handles.swift).
let mpiSettings: [SwiftSetting] = mpich ? [.define("MPI_INTEGER_HANDLES")] : []

let package = Package(
    name: "InfoMaxMPI",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "infomax", targets: ["infomax"]),
        .library(
            name: "InfoMaxMPI",
            targets: ["MPI", "Linalg", "Synthetic", "InfoMax", "Evaluation", "RunRecords", "Training", "Report"]),
        // The MPI wrapper alone (`import MPI`): see Sources/MPI/MPI.docc and Examples/MPIExample.
        .library(name: "MPI", targets: ["MPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML config files (--config run.yaml): the same keys and checks as JSON.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Property-based tests (Swift Testing) of the config parser.
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // RealModule: the scalar elementary functions (libm's, the same bits) as members of Float
        // and Double, and isApproximatelyEqual for the tests.
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // `swift package generate-documentation --target MPI` (the plugin builds only when run).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // One header (Sources/CMPI/shim.h) for both MPIs; MPICH's module map sits in mpich/.
        .systemLibrary(
            name: "CMPI", path: mpich ? "Sources/CMPI/mpich" : nil, pkgConfig: mpiPkgConfig,
            providers: [.apt(mpich ? ["libmpich-dev", "mpich"] : ["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // Counts heap allocations (malloc interposition) for `infomax bench`; linked only there.
        .target(name: "CAllocCount"),
        .target(name: "MPI", dependencies: ["CMPI"], swiftSettings: mpiSettings),
        .target(name: "Linalg", dependencies: ["CBLAS", realModule]),
        // The synthetic data's Gaussian fill in C vector types (AVX2 and SSE2 clones, same bits:
        // contraction is off by a pragma in the source, not a flag).
        .target(name: "CRandom"),
        .target(name: "Synthetic", dependencies: ["Linalg", "CRandom", realModule]),
        .target(name: "InfoMax", dependencies: ["Linalg", "MPI"]),
        .target(name: "Evaluation", dependencies: ["Linalg", realModule]),
        // The record types of every file the program writes and reads (summary.json, metrics.csv,
        // sweep.json, bench.json, scaling.json), their coding and the atomic writer.
        .target(name: "RunRecords", dependencies: []),
        .target(
            name: "Training",
            dependencies: [
                "Evaluation", "InfoMax", "Synthetic", "Linalg", "MPI", "RunRecords", realModule,
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(name: "Report", dependencies: ["RunRecords"]),
        .executableTarget(
            name: "infomax",
            dependencies: [
                "MPI", "Linalg", "Synthetic", "InfoMax", "RunRecords", "Training", "Report", "CAllocCount",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The MPI library's example: an all-reduce and a ring shift (run it under mpirun).
        .executableTarget(name: "mpi-example", dependencies: ["MPI"], path: "Examples/MPIExample"),
        // E2 (Ren & Li) in Float and in Double, one process: is the late condition-number rise round-off?
        .executableTarget(name: "e2-double", dependencies: ["MPI", "Training"], path: "Examples/E2Double"),
        // Multi-rank checks: an executable launched by mpirun from MultiRankTests.
        .executableTarget(
            name: "multirank-checks",
            dependencies: [
                "MPI", "Linalg", "Synthetic", "InfoMax", "Training", "TestSupport", "ReferenceLoss", realModule,
            ],
            path: "Tests/MultiRank"),
        // What the test targets share (the SplitMix64 test-data generator); not in any product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The one-process reference losses the distributed ones are checked against (test
        // oracles, out of the InfoMax module; `@testable import InfoMax`, so debug builds only).
        .target(name: "ReferenceLoss", dependencies: ["InfoMax", "Linalg"], path: "Tests/ReferenceLoss"),
        .testTarget(name: "MPITests", dependencies: ["MPI"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", "TestSupport"]),
        .testTarget(name: "SyntheticTests", dependencies: ["Synthetic", "Linalg"]),
        .testTarget(
            name: "InfoMaxTests",
            dependencies: ["InfoMax", "Linalg", "MPI", "CAllocCount", "TestSupport", "ReferenceLoss"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Evaluation", "Synthetic", "Linalg", "MPI"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "RunRecords"]),
        .testTarget(name: "MultiRankTests", dependencies: []),
        // Every command's --help rendered by the built infomax at 80 columns.
        .testTarget(name: "CLITests", dependencies: []),
        // Property tests of the config parser (Swift Testing).
        .testTarget(
            name: "ConfigPropertyTests",
            dependencies: [
                "Training", .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
    ],
    // Every target in Swift 6 language mode (complete concurrency checking).
    swiftLanguageModes: [.v6]
)
