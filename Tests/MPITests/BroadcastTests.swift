// BroadcastTests — bcast (in place, known length) and broadcast (array / string whose length
// only the root knows) at one rank.
import MPI
import XCTest

final class BroadcastTests: XCTestCase {
    private func checkBroadcast<T: Sample>(_ type: T.Type) throws {
        let comm = try testWorld()
        let values = samples(T.self, count: 11, seed: 2)
        var inPlace = values
        try comm.bcast(&inPlace, root: 0)
        XCTAssertEqual(inPlace, values, "\(T.self) bcast")
        XCTAssertEqual(try comm.broadcast(values, root: 0), values, "\(T.self) broadcast array")
        XCTAssertEqual(try comm.broadcast([T](), root: 0), [], "\(T.self) broadcast empty")
    }

    func testBroadcastEveryType() throws {
        for t in sampleTypes { try checkBroadcast(t) }
    }

    func testBroadcastString() throws {
        let comm = try testWorld()
        for text in ["", "plain ascii", "héllo wörld ✓ 🚀", String(repeating: "x", count: 10_000)] {
            XCTAssertEqual(try comm.broadcast(text, root: 0), text)
        }
    }
}
