// Loss tests: values against independent closed forms, and every gradient of every variant
// (dot/cosine × allOthers/oppositeLabel × stop-gradient, positive-only, spectral) of the
// one-process reference against central differences; a chain check encoder → loss → weights.
import InfoMax
import Linalg
import ReferenceLoss
import XCTest

final class LossGradientTests: XCTestCase {
    let B = 7, k = 4
    let labels = [1, -1, 1, 1, -1, -1, 1]

    func operands(seed: UInt64) -> (a: Matrix<Double>, p: Matrix<Double>, c: Matrix<Double>) {
        var rng = TestRNG(seed: seed)
        return (rng.matrix(B, k), rng.matrix(B, k), rng.matrix(B, k))
    }

    func checkAll(_ loss: ContrastiveLoss, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let (a, p, c) = operands(seed: seed)
        let r = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
        XCTAssertTrue(r.value.isFinite)
        let name = "\(loss.objective)/\(loss.similarity)/\(loss.negatives)/sg=\(loss.stopGradient)"
        let nA = try numericGradient(a) {
            try loss.evaluate(anchors: $0, positives: p, candidates: c, labels: labels).value
        }
        assertGradient(r.dA, nA, "\(name) dA", file: file, line: line)
        let nP = try numericGradient(p) {
            try loss.evaluate(anchors: a, positives: $0, candidates: c, labels: labels).value
        }
        assertGradient(r.dPos, nP, expectZero: loss.stopGradient, "\(name) dPos", file: file, line: line)
        let nC = try numericGradient(c) {
            try loss.evaluate(anchors: a, positives: p, candidates: $0, labels: labels).value
        }
        assertGradient(
            r.dC, nC, expectZero: loss.stopGradient || loss.objective == .positiveOnly, "\(name) dC", file: file,
            line: line)
    }

    func testInfoNCEGradientsAllVariants() throws {
        var seed: UInt64 = 10
        for sim in SimilarityKind.allCases {
            for neg in NegativeSet.allCases {
                for sg in [false, true] {
                    seed += 1
                    try checkAll(
                        ContrastiveLoss(
                            objective: .infoNCE, similarity: sim, scale: 0.7, temperature: 0.5,
                            negatives: neg, stopGradient: sg), seed: seed)
                }
            }
        }
    }

    func testPositiveOnlyGradients() throws {
        for sim in SimilarityKind.allCases {
            for sg in [false, true] {
                try checkAll(
                    ContrastiveLoss(
                        objective: .positiveOnly, similarity: sim, scale: 0.5, temperature: 0.3, stopGradient: sg),
                    seed: 30)
            }
        }
    }

    func testSpectralGradients() throws {
        for sim in SimilarityKind.allCases {
            for neg in NegativeSet.allCases {
                try checkAll(ContrastiveLoss(objective: .spectral, similarity: sim, negatives: neg), seed: 40)
            }
        }
        try checkAll(ContrastiveLoss(objective: .spectral, stopGradient: true), seed: 41)
    }

    func testCLIPValueIsCrossEntropyWithDiagonalTargets() throws {
        let (a, p, _) = operands(seed: 50)
        let tau = 0.2
        let loss = ContrastiveLoss(objective: .infoNCE, similarity: .dot, temperature: tau)
        let r = try loss.evaluate(anchors: a, positives: p, candidates: p)
        var s = matmul(a, .none, p, .transpose)
        scale(&s, by: 1 / tau)
        let lse = s.rowLogSumExp()
        let expected = (0..<B).map { lse[$0] - s[$0, $0] }.reduce(0, +) / Double(B)
        XCTAssertEqual(r.value, expected, accuracy: 1e-12)
    }

    func testSpectralValueMatchesDefinition() throws {
        let (f, g, _) = operands(seed: 51)
        let r = try ContrastiveLoss(objective: .spectral).evaluate(anchors: f, positives: g, candidates: g)
        let s = matmul(f, .none, g, .transpose)
        var pos = 0.0
        var neg = 0.0
        for i in 0..<B {
            pos += s[i, i]
            for j in 0..<B where j != i { neg += s[i, j] * s[i, j] }
        }
        XCTAssertEqual(r.value, -2 * pos / Double(B) + neg / Double(B * (B - 1)), accuracy: 1e-12)
    }

    func testOppositeLabelIgnoresSameLabelCandidates() throws {
        // Changing a same-label candidate must not change anchor 0's loss under .oppositeLabel.
        let (a, p, c) = operands(seed: 52)
        let loss = ContrastiveLoss(negatives: .oppositeLabel)
        let one = try loss.evaluate(anchors: a, positives: p, candidates: c, labels: labels)
        var c2 = c
        for t in 0..<k { c2[2, t] += 5 }  // sample 2 has label +1, like anchor 0
        var c3 = c
        for t in 0..<k { c3[1, t] += 5 }  // sample 1 has label −1
        let two = try loss.evaluate(anchors: a, positives: p, candidates: c2, labels: labels)
        let three = try loss.evaluate(anchors: a, positives: p, candidates: c3, labels: labels)
        XCTAssertEqual(two.dA.row(0), one.dA.row(0), "anchor 0 (label +1) must not see candidate 2 (label +1)")
        XCTAssertNotEqual(three.dA.row(0), one.dA.row(0))
    }

    func testMissingLabelsAndBadShapesThrow() {
        let (a, p, c) = operands(seed: 53)
        XCTAssertThrowsError(
            try ContrastiveLoss(negatives: .oppositeLabel).evaluate(anchors: a, positives: p, candidates: c))
        XCTAssertThrowsError(try ContrastiveLoss().evaluate(anchors: a, positives: p.rows(0..<3), candidates: c))
        XCTAssertThrowsError(try ContrastiveLoss(temperature: 0).evaluate(anchors: a, positives: p, candidates: c))
    }

    func testSymmetricGradients() throws {
        let (h, g, _) = operands(seed: 54)
        let loss = ContrastiveLoss.clip(temperature: 0.5)
        let r = try loss.evaluateSymmetric(h, g)
        assertGradient(r.dFirst, try numericGradient(h) { try loss.evaluateSymmetric($0, g).value }, "symmetric dh")
        assertGradient(r.dSecond, try numericGradient(g) { try loss.evaluateSymmetric(h, $0).value }, "symmetric dg")
    }

    /// Encoder → loss → weights: single-modal (shared ReLU encoder, A = C = h(x), Pos = h(x̂)),
    /// and multi-modal symmetric (ReLU for x, linear for x̃), against finite differences in W.
    func testChainEncoderLossWeights() throws {
        var rng = TestRNG(seed: 60)
        let b = 6
        let P = 2
        let d = 3
        let m = 4
        let x: Matrix<Double> = rng.matrix(b, P * d)
        let xHat: Matrix<Double> = x + rng.matrix(b, P * d, scale: 0.1)
        let w: Matrix<Double> = rng.matrix(m, d, scale: 0.7)
        // Single-modal, patch-wise, 1/m scaling, no stop-gradient (a true derivative exists).
        let loss = ContrastiveLoss(objective: .infoNCE, similarity: .dot, scale: 1 / Double(m), temperature: 0.5)
        func single(_ wt: Matrix<Double>) throws -> Double {
            let enc = try ReLUPatchEncoder(weights: wt, patches: P, mode: .patchwise)
            let h = try enc(x)
            return try loss.evaluate(anchors: h, positives: try enc(xHat), candidates: h).value
        }
        var sm = SingleModal(encoder: try ReLUPatchEncoder(weights: w, patches: P, mode: .patchwise))
        var h = Matrix<Double>(rows: 0, cols: 0)
        var hh = Matrix<Double>(rows: 0, cols: 0)
        try sm.forward(x, xHat, into: &h, &hh)
        let r = try loss.evaluate(anchors: h, positives: hh, candidates: h)
        var grad = sm.encoder.zeroGradient()
        try sm.backward(x, xHat, dH: r.dA + r.dC, dHHat: r.dPos, accumulatingInto: &grad)
        // A step of 1e-6 stays clear of the ReLU kinks for this seed (a crossed kink would show
        // up as a relative error far above the tolerance).
        assertGradient(grad, try numericGradient(w, h: 1e-6, single), "single-modal chain dW")

        // Multi-modal, cosine, symmetric.
        let xt: Matrix<Double> = rng.matrix(b, 5)
        let v: Matrix<Double> = rng.matrix(3 * m, 5)
        let clip = ContrastiveLoss.clip(temperature: 0.3)
        var mm = MultiModal(
            first: try ReLUPatchEncoder(weights: w, patches: P, mode: .summed),
            second: try LinearEncoder(weights: Matrix<Double>(rows: m, cols: 5) { i, j in v[i, j] }))
        var hm = Matrix<Double>(rows: 0, cols: 0)
        var gm = Matrix<Double>(rows: 0, cols: 0)
        try mm.forward(x, xt, into: &hm, &gm)
        let s = try clip.evaluateSymmetric(hm, gm)
        var g1 = mm.first.zeroGradient()
        var g2 = mm.second.zeroGradient()
        try mm.backward(x, xt, dH: s.dFirst, dG: s.dSecond, accumulatingInto: &g1, &g2)
        let w2 = mm.second.weights
        let n1 = try numericGradient(w, h: 1e-6) { wt in
            try clip.evaluateSymmetric(try ReLUPatchEncoder(weights: wt, patches: P, mode: .summed)(x), gm).value
        }
        let n2 = try numericGradient(w2) { wt in
            try clip.evaluateSymmetric(hm, try LinearEncoder(weights: wt)(xt)).value
        }
        assertGradient(g1, n1, "multi-modal chain dW(first)")
        assertGradient(g2, n2, "multi-modal chain dW(second)")
    }
}
