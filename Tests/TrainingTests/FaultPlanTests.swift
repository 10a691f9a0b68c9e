// FaultPlan: the INFOMAX_FAULTS syntax tests use to inject faults (stop, stall, slow step),
// what it injects where, and the message a malformed value gets.
import XCTest
@testable import Training

final class FaultPlanTests: XCTestCase {
    func testParsesEveryFault() throws {
        XCTAssertTrue(try FaultPlan.fromEnvironment([:]).isEmpty, "unset: no fault")
        XCTAssertTrue(try FaultPlan(parsing: "").isEmpty)
        let plan = try FaultPlan(parsing: "stop=20, stall=1:12,slow=2:30")
        XCTAssertEqual(plan, FaultPlan(stopAtStep: 20, stall: .init(rank: 1, step: 12),
                                       delay: .init(step: 2, seconds: 30)))
        XCTAssertEqual(try FaultPlan.fromEnvironment(["INFOMAX_FAULTS": "slow=*:0.01"]).delay,
                       FaultPlan.Delay(step: nil, seconds: 0.01))
    }

    func testInjectsOnlyWhereItSays() throws {
        let plan = try FaultPlan(parsing: "stop=5,stall=1:12,slow=2:0")
        XCTAssertTrue(plan.stops(before: 5))
        XCTAssertFalse(plan.stops(before: 4))
        XCTAssertTrue(plan.injects(rank: 1, step: 12))
        XCTAssertFalse(plan.injects(rank: 0, step: 12))
        XCTAssertFalse(plan.injects(rank: 1, step: 2), "a delay of 0 s injects nothing")
        let everyStep = try FaultPlan(parsing: "slow=*:0.001")
        XCTAssertTrue(everyStep.injects(rank: 0, step: 0) && everyStep.injects(rank: 3, step: 999))
        everyStep.inject(rank: 0, step: 7)   // sleeps 1 ms and returns
    }

    func testMalformedValuesAreUsageErrorsThatShowTheSyntax() {
        let malformed = ["stop", "stop=-1", "stall=1", "stall=a:3", "slow=2", "slow=2:-1", "slow=x:1", "crash=3",
                         "stop=1:2"]
        for text in malformed {
            XCTAssertThrowsError(try FaultPlan(parsing: text), text) { error in
                XCTAssertEqual(ExitCodes.code(for: error), ExitCodes.usage, text)
                XCTAssertTrue("\(error)".contains("INFOMAX_FAULTS"), "\(error)")
                XCTAssertTrue("\(error)".contains("stall=RANK:STEP"), "\(error)")
            }
        }
    }
}
