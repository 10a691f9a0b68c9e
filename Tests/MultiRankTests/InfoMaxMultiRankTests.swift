// Multi-rank tests of the distributed contrastive losses: loss and gradients equal the
// one-process reference at 1, 2, 3 and 4 ranks with uneven splits (suite "infomax").
import XCTest

final class InfoMaxMultiRankTests: XCTestCase {
    func testDistributedLossMatchesReferenceAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("infomax", ranks: [1, 2, 3, 4])
    }
}
