// T1Prediction: Huang et al.'s (NeurIPS 2024) predicted first-stage length T₁ of a signal-noise
// run, as summary.json records it (`t1_predicted`), so a report can mark it on the signal and
// noise curves. Training computes it (HuangAssumptions); older summaries have none.
import Foundation

/// The two T₁ predictions, in gradient steps (= epochs at full batch): Lemma 5.2 (single-modal:
/// noise memorization reaches order 1) and Lemma 5.4 (multi-modal: signal learning does).
/// Either may be non-finite when the formula's logarithm is not positive (say σ₀ above its bound).
public struct T1Prediction: Codable, Sendable, Equatable {
    public var singleModal: Double
    public var multiModal: Double

    public init(singleModal: Double, multiModal: Double) {
        self.singleModal = singleModal
        self.multiModal = multiModal
    }

    /// The key of the object in summary.json.
    public static let summaryKey = "t1_predicted"
}
