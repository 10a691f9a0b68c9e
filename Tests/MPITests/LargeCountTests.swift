import XCTest

// LargeCountTests — counts and displacements beyond MPI's `int` at one rank: VectorLayout and
// the collectives accept them (nothing that fits in memory is refused), and with the limit
// lowered to a few elements the large-count paths (MPI-4 `_c` calls or chunks) give the same
// results as the ordinary calls.
@testable import MPI

final class LargeCountTests: XCTestCase {
    override func tearDown() {
        LargeCounts.maximumCount = Int(Int32.max)
        LargeCounts.useLibraryCalls = true
        super.tearDown()
    }

    /// A layout whose total and displacements exceed 2^31 − 1 is described, not refused.
    func testLayoutBeyondInt() throws {
        let big = Int(Int32.max)
        let layout = try VectorLayout(counts: [big, 10, big])
        XCTAssertEqual(layout.total, 2 * big + 10)
        XCTAssertEqual(layout.displacement(2), big + 10)
        XCTAssertEqual(layout.count(2), big)
        XCTAssertThrowsError(try VectorLayout(counts: [Int.max, 1]), "an overflowing total must throw")
        XCTAssertThrowsError(try VectorLayout(counts: [1, -1]), "a negative count must throw")
    }

    /// Every collective with the limit at 3 elements, chunked and (where the library has them)
    /// through the `_c` calls, equals the one-call result.
    func testSmallLimitPathsMatch() throws {
        let comm = try testWorld()
        let values = samples(Double.self, count: 11)
        let ordinary = try collectiveResults(comm, values)
        LargeCounts.maximumCount = 3
        for library in LargeCounts.libraryHasThem ? [true, false] : [false] {
            LargeCounts.useLibraryCalls = library
            XCTAssertEqual(try collectiveResults(comm, values), ordinary, "library calls: \(library)")
        }
    }

    /// The results of the collectives that take the large-count path at one rank.
    private func collectiveResults(_ comm: Communicator, _ values: [Double]) throws -> [[Double]] {
        var inPlace = values
        try comm.allreduce(inPlace: &inPlace, op: .max)
        var broadcast = values
        try comm.bcast(&broadcast)
        var gathered: [Double] = []
        try comm.allgather(values, into: &gathered)
        var layoutGathered: [Double] = []
        try comm.allgatherv(values, into: &layoutGathered, layout: try VectorLayout(counts: [values.count]))
        var scattered: [Double] = []
        try comm.reduceScatter(values, into: &scattered, layout: try VectorLayout(counts: [values.count]), op: .sum)
        return [
            try comm.allreduce(values, op: .sum), inPlace, broadcast, try comm.allgather(values), gathered,
            try comm.allgatherv(values).values, layoutGathered, try comm.reduceScatter(values, op: .sum),
            try comm.reduceScatter(values, counts: [values.count], op: .sum), scattered,
            try comm.gather(values) ?? [], try comm.gatherv(values)?.values ?? [],
        ]
    }
}
