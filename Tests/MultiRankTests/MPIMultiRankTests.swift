// Multi-rank tests of the MPI wrapper: collectives at 1–4 ranks, and abort takes every rank down.
import XCTest

final class MPIMultiRankTests: XCTestCase {
    func testCollectivesAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("mpi", ranks: [1, 2, 3, 4])
    }
}
