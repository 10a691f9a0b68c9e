// Multi-rank tests of the Synthetic layer: every rank's shard equals the one-process data set.
import XCTest

final class SyntheticMultiRankTests: XCTestCase {
    func testShardsMatchOneProcessDataSetAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("synthetic", ranks: [1, 2, 3, 4])
    }
}
