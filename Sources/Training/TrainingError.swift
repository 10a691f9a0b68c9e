// Training/TrainingError.swift — the error that ends a run from inside the training loop (a
// non-finite loss), with what to change and the exit code it maps to.
import Foundation

/// A run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(step: Int, loss: Double, lastFinite: Double?, gradientNorm: Double)
    /// A learned loss parameter (the sigmoid loss's t or b) left its range; the text names its key.
    case invalidLearnedParameter(String)

    public var description: String {
        switch self {
        case .nonFinite(let step, let loss, let lastFinite, let gradientNorm):
            let last = lastFinite.map {
                " (last finite loss \(String(format: "%.6g", $0)), gradient norm \(String(format: "%.3g", gradientNorm)))"
            }
            return "the loss became \(loss) at step \(step)" + (last ?? "")
                + ". The run diverged: lower optimizer.learning_rate, raise loss.temperature, or use loss.similarity = "
                + "\"cosine\"."
        case .invalidLearnedParameter(let what):
            return what + ". The run diverged: lower optimizer.learning_rate, or fix the parameter (learn_* = false)."
        }
    }

    public var exitCode: Int32 { ExitCodes.numerical }
}
