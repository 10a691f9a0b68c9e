// Evaluation/LinearProbe.swift — the downstream task: multinomial (softmax) logistic regression on
// frozen features (standardised with the training set's mean and deviation), L2-regularised,
// fitted by Nesterov-accelerated gradient descent with step 1/L. Runs on rank 0 after the
// features are gathered. Deterministic: the same features give the same classifier.
import Linalg
import RealModule

/// A fitted linear classifier over standardised features.
public struct LinearProbe: Sendable {
    /// Options of the fit.
    public struct Options: Sendable {
        /// L2 penalty λ on the weights (not the bias).
        public var l2: Double = 1e-3
        /// Gradient iterations.
        public var iterations: Int = 500
        public init(l2: Double = 1e-3, iterations: Int = 500) {
            self.l2 = l2
            self.iterations = iterations
        }
    }

    public let classes: Int
    public let mean: [Double]
    public let deviation: [Double]
    /// Weights (features × classes) and bias (classes).
    public let weights: Matrix<Double>
    public let bias: [Double]
    /// Final training cross-entropy (with the penalty).
    public let trainingObjective: Double

    /// Fits the probe on `features` (n × k) and integer `labels` in 0..<classes.
    public init(features: Matrix<Float>, labels: [Int], classes: Int, options: Options = Options()) throws {
        guard features.rows == labels.count, features.rows > 0 else {
            throw LinalgError.shapeMismatch("probe: \(features.rows) feature rows, \(labels.count) labels")
        }
        guard classes >= 2, labels.allSatisfy({ (0..<classes).contains($0) }) else {
            throw LinalgError.shapeMismatch("probe: labels must lie in 0..<\(classes)")
        }
        let n = features.rows
        let k = features.cols
        var x = features.converted(to: Double.self)
        var mean = [Double](repeating: 0, count: k)
        var dev = [Double](repeating: 0, count: k)
        for i in 0..<n { for j in 0..<k { mean[j] += x[i, j] } }
        for j in 0..<k { mean[j] /= Double(n) }
        for i in 0..<n {
            for j in 0..<k {
                let c = x[i, j] - mean[j]
                dev[j] += c * c
            }
        }
        for j in 0..<k {
            dev[j] = (dev[j] / Double(n)).squareRoot()
            if dev[j] < 1e-12 { dev[j] = 1 }
        }
        for i in 0..<n { for j in 0..<k { x[i, j] = (x[i, j] - mean[j]) / dev[j] } }
        self.classes = classes
        self.mean = mean
        self.deviation = dev

        // Lipschitz constant of the gradient: ½·σ_max(X̃)²/n + λ, with X̃ = [X, 1].
        var xb = Matrix<Double>(rows: n, cols: k + 1) { i, j in j < k ? x[i, j] : 1 }
        let smax = try singularValues(xb).first ?? 1
        let lipschitz = 0.5 * smax * smax / Double(n) + options.l2
        let step = 1 / lipschitz

        var theta = Matrix<Double>(rows: k + 1, cols: classes)  // last row = bias
        var look = theta
        var previous = theta
        var logits = Matrix<Double>(rows: n, cols: classes)
        var grad = Matrix<Double>(rows: k + 1, cols: classes)
        var objective = 0.0
        for t in 0..<options.iterations {
            // Gradient at the look-ahead point.
            objective = Self.objective(
                xb, labels: labels, theta: look, l2: options.l2, logits: &logits, gradient: &grad)
            previous = theta
            theta = look
            axpy(-step, grad, &theta)
            let momentum = Double(t) / Double(t + 3)
            look = theta
            axpy(momentum, theta - previous, &look)
        }
        xb = Matrix(rows: 0, cols: 0)
        weights = Matrix(rows: k, cols: classes) { theta[$0, $1] }
        bias = theta.row(k)
        trainingObjective = objective
    }

    /// The fit's objective at `theta` ((k + 1) × classes, last row the bias) over the rows of
    /// `xb` = [X, 1] (n × (k + 1)): mean softmax cross-entropy + ½·λ·‖W‖² (the bias not
    /// penalised), and its gradient Xbᵀ(softmax − onehot)/n + λ·[W; 0] into `gradient`;
    /// `logits` (n × classes) is scratch. The fit's every iteration calls it (FD-checked).
    public static func objective(
        _ xb: Matrix<Double>, labels: [Int], theta: Matrix<Double>, l2: Double,
        logits: inout Matrix<Double>, gradient: inout Matrix<Double>
    ) -> Double {
        let n = xb.rows
        let k = xb.cols - 1
        let classes = theta.cols
        gemm(xb, .none, theta, .none, into: &logits)
        let lse = logits.rowLogSumExp()
        var objective = 0.0
        for i in 0..<n {
            objective += lse[i] - logits[i, labels[i]]
            for c in 0..<classes { logits[i, c] = Double.exp(logits[i, c] - lse[i]) }
            logits[i, labels[i]] -= 1
        }
        objective /= Double(n)
        gemm(xb, .transpose, logits, .none, alpha: 1 / Double(n), into: &gradient)
        for j in 0..<k {
            for c in 0..<classes {
                gradient[j, c] += l2 * theta[j, c]
                objective += 0.5 * l2 * theta[j, c] * theta[j, c]
            }
        }
        return objective
    }

    /// Predicted class of each row of `features`.
    public func predict(_ features: Matrix<Float>) -> [Int] {
        let k = features.cols
        precondition(k == mean.count, "probe: features have \(k) columns, the probe was fitted on \(mean.count)")
        let x = Matrix<Double>(rows: features.rows, cols: k) { (Double(features[$0, $1]) - mean[$1]) / deviation[$1] }
        let scores = matmul(x, .none, weights)
        return (0..<features.rows).map { i in
            var best = 0
            var bestScore = -Double.infinity
            for c in 0..<classes where scores[i, c] + bias[c] > bestScore {
                best = c
                bestScore = scores[i, c] + bias[c]
            }
            return best
        }
    }

    /// 0-1 accuracy on `features` with `labels`.
    public func accuracy(_ features: Matrix<Float>, labels: [Int]) -> Double {
        guard !labels.isEmpty else { return .nan }
        let p = predict(features)
        return Double(zip(p, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
}
