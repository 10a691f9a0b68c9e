// swift-tools-version:6.0
// InfoMaxMPI: contrastive (InfoMax / InfoNCE) learning on synthetic data across MPI ranks.
// Layers, lowest first (an arrow only points down): CMPI, CBLAS, CRandom -> MPI, Linalg -> Synthetic
// -> InfoMax -> Evaluation -> Training -> Report -> infomax (CLI); RunRecords (the file formats,
// Foundation only) sits below Training and Report, which both import it. See README.md.
import PackageDescription

let realModule: Target.Dependency = .product(name: "RealModule", package: "swift-numerics")
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "InfoMaxMPI",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "infomax", targets: ["infomax"]),
        .library(name: "InfoMaxMPI", targets: ["MPI", "Linalg", "Synthetic", "InfoMax", "Evaluation", "RunRecords", "Training", "Report"]),
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
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // Counts heap allocations (malloc interposition) for `infomax bench`; linked only there.
        .target(name: "CAllocCount"),
        .target(name: "MPI", dependencies: ["CMPI"], swiftSettings: optimized),
        .target(name: "Linalg", dependencies: ["CBLAS", realModule], swiftSettings: optimized),
        // The synthetic data's Gaussian fill in C vector types (AVX2 and SSE2 clones, same bits).
        .target(name: "CRandom", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-Wno-psabi"])]),
        .target(name: "Synthetic", dependencies: ["Linalg", "CRandom", realModule], swiftSettings: optimized),
        .target(name: "InfoMax", dependencies: ["Linalg", "MPI"], swiftSettings: optimized),
        .target(name: "Evaluation", dependencies: ["InfoMax", "Synthetic", "Linalg", "MPI", realModule], swiftSettings: optimized),
        // The record types of every file the program writes and reads (summary.json, metrics.csv,
        // sweep.json, bench.json, scaling.json), their coding and the atomic writer.
        .target(name: "RunRecords", dependencies: [], swiftSettings: optimized),
        .target(name: "Training", dependencies: ["Evaluation", "InfoMax", "Synthetic", "Linalg", "MPI", "RunRecords", realModule,
                                                 .product(name: "Yams", package: "Yams")], swiftSettings: optimized),
        .target(name: "Report", dependencies: ["RunRecords"], swiftSettings: optimized),
        .executableTarget(name: "infomax", dependencies: [
            "MPI", "Linalg", "Synthetic", "InfoMax", "Evaluation", "RunRecords", "Training", "Report", "CBLAS", "CAllocCount",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimized),
        // Multi-rank checks: an executable launched by mpirun from MultiRankTests.
        .executableTarget(name: "multirank-checks",
                          dependencies: ["MPI", "Linalg", "Synthetic", "InfoMax", "Training", "TestSupport", realModule],
                          path: "Tests/MultiRank"),
        // What the test targets share (the SplitMix64 test-data generator); not in any product.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MPITests", dependencies: ["MPI"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", "TestSupport"]),
        .testTarget(name: "SyntheticTests", dependencies: ["Synthetic", "Linalg"]),
        .testTarget(name: "InfoMaxTests", dependencies: ["InfoMax", "Linalg", "MPI", "CAllocCount", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Evaluation", "Synthetic", "InfoMax", "Linalg", "MPI", "RunRecords"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "RunRecords"]),
        .testTarget(name: "MultiRankTests", dependencies: []),
        // Every command's --help rendered by the built infomax at 80 columns.
        .testTarget(name: "CLITests", dependencies: []),
        // Property tests of the config parser (Swift Testing).
        .testTarget(name: "ConfigPropertyTests", dependencies: [
            "Training", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ],
    // Swift 5 language mode: the code is single-threaded per rank (MPI FUNNELED) and talks
    // to C globals (stderr, MPI handles) that Swift 6's strict checking would reject.
    swiftLanguageModes: [.v5]
)
