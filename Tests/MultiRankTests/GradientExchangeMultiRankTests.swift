// Multi-rank test of the trainer's GradientExchange (suite "exchange" of multirank-checks): the
// gradient delivered in encoder parts — a ring per part, or small parts joined into the next
// part's ring — sums like MPI_Allreduce, carries any rank's stop request, and refuses a step
// whose parts differ from the first step's, at 1–4 ranks.
import XCTest

final class GradientExchangeMultiRankTests: XCTestCase {
    func testPartsSumLikeAllreduceAndCarryTheStopAt1To4Ranks() throws {
        try Launcher.assertSuitePasses("exchange", ranks: [1, 2, 3, 4])
    }
}
