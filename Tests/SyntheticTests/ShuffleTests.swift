// The O(1)-memory shuffle: the Feistel bijection is a permutation of 0..<n for many n (small,
// primes, powers of two and of four, just above a power of four) and its inverse undoes it;
// its positions are uniform over keys and show no pair correlation (chi-square); the epoch
// schedule visits every sample once per epoch, gives the same global batches at 1–4 ranks
// with n, B and P that do not divide, and works at n = 10^12 without a table.
import Foundation
import XCTest
@testable import Synthetic

final class ShuffleTests: XCTestCase {
    func testPermutationIsABijectionForManyN() {
        var sizes = Array(1...130)
        sizes += [251, 257, 1009, 4093, 4096, 4097, 8191, 16_385]   // primes, 2^k, 4^k ± 1
        for n in sizes {
            let perm = IndexPermutation(n: n, seed: 0x5EED_0000_0000_0007 &+ UInt64(n), draw: 3)
            var seen = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let j = perm(i)
                XCTAssertTrue(j >= 0 && j < n, "n = \(n): \(i) ↦ \(j)")
                guard j >= 0 && j < n else { return }
                XCTAssertFalse(seen[j], "n = \(n): \(j) hit twice")
                seen[j] = true
                if i % 7 == 0 || n < 300 { XCTAssertEqual(perm.inverse(j), i, "n = \(n): inverse") }
            }
            XCTAssertEqual(1 << (2 * perm.halfBits) >= n, true)
            XCTAssertTrue(perm.halfBits == 1 || 1 << (2 * (perm.halfBits - 1)) < n, "n = \(n): the smallest power of 4")
        }
    }

    func testKeysGiveDifferentPermutations() {
        let n = 1000
        let a = (0..<n).map { IndexPermutation(n: n, seed: 1, draw: 0)($0) }
        XCTAssertNotEqual(a, Array(0..<n))
        XCTAssertNotEqual(a, (0..<n).map { IndexPermutation(n: n, seed: 1, draw: 1)($0) }, "another epoch")
        XCTAssertNotEqual(a, (0..<n).map { IndexPermutation(n: n, seed: 2, draw: 0)($0) }, "another seed")
        XCTAssertNotEqual(a, (0..<n).map { IndexPermutation(n: n, seed: 1, draw: 0, purpose: .evaluationSubset)($0) }, "another purpose")
        // Few fixed points (a random permutation has 1 on average).
        XCTAssertLessThan(zip(a, 0..<n).filter { $0 == $1 }.count, 8)
    }

    /// Chi-square statistic of observed counts against a uniform expectation.
    func chiSquare(_ counts: [Int]) -> Double {
        let expected = Double(counts.reduce(0, +)) / Double(counts.count)
        return counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }

    /// Upper bound for a chi-square with `dof` degrees of freedom: mean + 5 sd.
    func bound(_ dof: Int) -> Double { Double(dof) + 5 * (2 * Double(dof)).squareRoot() }

    func testPositionsAreUniformOverSeeds() {
        // Where a fixed element goes, over many keys: uniform on 0..<n (n prime, 2^k, 4^k + 1).
        let keys = 6000
        for n in [7, 16, 17, 50] {
            for element in [0, n / 2, n - 1] {
                var counts = [Int](repeating: 0, count: n)
                for key in 0..<keys { counts[IndexPermutation(n: n, seed: UInt64(key) &* 0x9E37_79B9_7F4A_7C15, draw: key % 5)(element)] += 1 }
                let chi = chiSquare(counts)
                XCTAssertLessThan(chi, bound(n - 1), "n = \(n), element \(element): χ² = \(chi)")
                XCTAssertGreaterThan(chi, max(0, Double(n - 1) - 5 * (2 * Double(n - 1)).squareRoot()), "too uniform to be random")
            }
        }
    }

    func testPairsAreUniformOverSeeds() {
        // The joint image of two elements: uniform on the n(n − 1) ordered pairs of distinct positions.
        let n = 8, keys = 11_200
        for (a, b) in [(0, 1), (3, 4), (0, 7)] {
            var counts = [Int](repeating: 0, count: n * n)
            for key in 0..<keys {
                let perm = IndexPermutation(n: n, seed: 77 &+ UInt64(key), draw: 1)
                counts[perm(a) * n + perm(b)] += 1
            }
            for i in 0..<n { XCTAssertEqual(counts[i * n + i], 0, "a bijection never maps two elements to one position") }
            let offDiagonal = (0..<(n * n)).filter { $0 / n != $0 % n }.map { counts[$0] }
            XCTAssertLessThan(chiSquare(offDiagonal), bound(n * (n - 1) - 1), "pair (\(a), \(b))")
        }
    }

    func testNeighbouringPositionsAreUncorrelated() {
        // Within one large permutation: the images of consecutive positions are uncorrelated,
        // and every quarter of positions maps evenly over the range.
        let n = 1_000_003, m = 40_000
        let perm = IndexPermutation(n: n, seed: 12, draw: 0)
        let x = (0..<m).map { Double(perm($0)) / Double(n) }
        let mean = x.reduce(0, +) / Double(m)
        var cov = 0.0, variance = 0.0
        for i in 0..<(m - 1) { cov += (x[i] - mean) * (x[i + 1] - mean) }
        for v in x { variance += (v - mean) * (v - mean) }
        let r = cov / variance
        XCTAssertLessThan(abs(r), 5 / Double(m).squareRoot(), "lag-1 correlation \(r)")
        assertWithin5Sigma(mean, 0.5, sd: (1.0 / 12 / Double(m)).squareRoot(), "mean image")
        var buckets = [Int](repeating: 0, count: 64)
        for v in x { buckets[min(Int(v * 64), 63)] += 1 }
        XCTAssertLessThan(chiSquare(buckets), bound(63))
    }

    func testEpochsVisitEverySampleOnceAtEveryRankCount() throws {
        // n = 103, B = 20: neither divides; ranks 1–4 split 20 unevenly for 3.
        let n = 103, batch = 20
        let schedule = try EpochSchedule(count: n, batchSize: batch, seed: 8)
        let steps = 3 * n / batch + 2
        var stream: [Int] = []
        var local: [Int] = []
        for step in 0..<steps {
            let global = schedule.globalIndices(step: step)
            XCTAssertEqual(global.count, batch)
            stream += global
            for size in 1...4 {
                var joined: [Int] = []
                for rank in 0..<size {
                    schedule.localIndices(step: step, rank: rank, size: size, into: &local)
                    XCTAssertEqual(local.count, Shard.block(count: batch, part: rank, parts: size).count)
                    joined += local
                }
                XCTAssertEqual(joined, global, "step \(step) at \(size) ranks")
            }
        }
        // Every epoch (n consecutive stream positions) is a permutation of 0..<n, and epochs differ.
        for e in 0..<3 {
            XCTAssertEqual(stream[(e * n)..<((e + 1) * n)].sorted(), Array(0..<n), "epoch \(e)")
            XCTAssertEqual(Array(stream[(e * n)..<((e + 1) * n)]), (0..<n).map { schedule.permutation(epoch: e)($0) })
        }
        XCTAssertNotEqual(Array(stream[0..<n]), Array(stream[n..<(2 * n)]))
        XCTAssertEqual(schedule.epochs(afterSteps: 103), 20, accuracy: 1e-12)
    }

    func testFullBatchIsTheContiguousShardInOrder() throws {
        let schedule = try EpochSchedule(count: 10, batchSize: 0, seed: 3)
        XCTAssertTrue(schedule.isFullBatch)
        var out: [Int] = []
        schedule.localIndices(step: 7, rank: 1, size: 3, into: &out)
        XCTAssertEqual(out, Array(4..<7))
        XCTAssertEqual(schedule.globalIndices(step: 5), Array(0..<10))
        XCTAssertThrowsError(try EpochSchedule(count: 10, batchSize: 11, seed: 0))
    }

    func testHugeDataSetsNeedNoTable() throws {
        // n = 10^12 (no [Int] of n could exist): a late step's batch is computed directly.
        let n = 1_000_000_000_000, batch = 4096
        let schedule = try EpochSchedule(count: n, batchSize: batch, seed: 1)
        var late: [Int] = []
        let passes = schedule.localIndices(step: 123_456_789, rank: 0, size: 1, into: &late)
        // O(B) work, counted: one cycle walk per sample, 4^h / n ≈ 1.1 Feistel passes each here.
        XCTAssertGreaterThanOrEqual(passes, batch)
        XCTAssertLessThanOrEqual(passes, 2 * batch, "O(B) work")
        XCTAssertEqual(late, schedule.globalIndices(step: 123_456_789))
        XCTAssertEqual(late.count, batch)
        XCTAssertTrue(late.allSatisfy { $0 >= 0 && $0 < n })
        XCTAssertEqual(Set(late).count, batch, "no repeats within an epoch")
        let perm = schedule.permutation(epoch: 0)
        XCTAssertEqual(perm.inverse(perm(999_999_999_999)), 999_999_999_999)
    }

    func testEvaluationSubsetIsFixedDistinctAndExactWhenSmall() {
        let exact = EvaluationSubset(population: 100, requested: 4096, seed: 1)
        XCTAssertTrue(exact.isExact)
        XCTAssertEqual(exact.size, 100)
        var out: [Int] = []
        exact.indices(0..<100, into: &out)
        XCTAssertEqual(out, Array(0..<100))
        XCTAssertTrue(EvaluationSubset(population: 10_000, requested: 0, seed: 1).isExact, "0 = all")

        let n = 1_000_000_000
        let subset = EvaluationSubset(population: n, requested: 1000, seed: 4)
        XCTAssertFalse(subset.isExact)
        XCTAssertEqual(subset.size, 1000)
        XCTAssertEqual(subset.finitePopulationCorrection, 1 - 1e-6, accuracy: 1e-12)
        subset.indices(0..<1000, into: &out)
        XCTAssertEqual(Set(out).count, 1000)
        XCTAssertTrue(out.allSatisfy { $0 >= 0 && $0 < n })
        // Spread over the whole set, not a prefix.
        XCTAssertGreaterThan(out.max() ?? 0, n / 2)
        XCTAssertLessThan(out.min() ?? n, n / 2)
        for size in 1...4 {
            var joined: [Int] = [], part: [Int] = []
            for rank in 0..<size {
                subset.indices(subset.positions(rank: rank, size: size), into: &part)
                joined += part
            }
            XCTAssertEqual(joined, out, "the same subset at \(size) ranks")
        }
    }
}
