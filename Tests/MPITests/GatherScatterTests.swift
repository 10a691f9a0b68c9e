// GatherScatterTests — allgather(v), reduce-scatter (block and counts) and gather(v) at one
// rank for every element type: the one rank's block is the whole message, in order.
import MPI
import XCTest

final class GatherScatterTests: XCTestCase {
    private func checkGathers<T: Sample>(_ type: T.Type) throws {
        let comm = try testWorld()
        let values = samples(T.self, count: 7, seed: 1)

        XCTAssertEqual(try comm.allgather(values), values, "\(T.self) allgather")
        XCTAssertEqual(try comm.allgather(values[2]), [values[2]], "\(T.self) allgather scalar")
        XCTAssertEqual(try comm.allgather([T]()), [], "\(T.self) allgather empty")

        let v = try comm.allgatherv(values)
        XCTAssertEqual(v.values, values, "\(T.self) allgatherv values")
        XCTAssertEqual(v.counts, [7], "\(T.self) allgatherv counts")
        XCTAssertEqual(try comm.allgatherv(values, counts: [7]), values, "\(T.self) allgatherv(counts:)")
        let empty = try comm.allgatherv([T]())
        XCTAssertEqual(empty.values, [])
        XCTAssertEqual(empty.counts, [0])

        let gathered = try comm.gather(values, root: 0)
        XCTAssertEqual(gathered, values, "\(T.self) gather")
        let gv = try comm.gatherv(values, root: 0)
        XCTAssertEqual(gv?.values, values, "\(T.self) gatherv values")
        XCTAssertEqual(gv?.counts, [7], "\(T.self) gatherv counts")
    }

    private func checkReduceScatter<T: Sample>(_ type: T.Type) throws {
        let comm = try testWorld()
        let values = samples(T.self, count: 9, seed: 4)
        for op in [ReductionOp.sum, .max, .min] {
            XCTAssertEqual(try comm.reduceScatter(values, op: op), values, "\(T.self) reduceScatter block \(op)")
            XCTAssertEqual(
                try comm.reduceScatter(values, counts: [9], op: op), values, "\(T.self) reduceScatter counts \(op)")
        }
        var out = [T](repeating: T.make(0), count: 9)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { try comm.reduceScatter(src, into: $0, counts: [9], op: .sum) }
        }
        XCTAssertEqual(out, values, "\(T.self) reduceScatter buffer form")
        XCTAssertEqual(try comm.reduceScatter([T](), op: .sum), [])
        XCTAssertEqual(try comm.reduceScatter([T](), counts: [0], op: .sum), [])
    }

    func testGathersEveryType() throws {
        for t in sampleTypes { try checkGathers(t) }
    }

    func testReduceScatterEveryType() throws {
        for t in sampleTypes { try checkReduceScatter(t) }
    }
}
