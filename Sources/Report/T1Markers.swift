// T1Markers: Huang et al.'s predicted first-stage length T₁, as a run recorded it in summary.json
// (`t1_predicted`), drawn as labelled vertical lines on the signal-learning and noise-memorization
// charts (the report's Figure 1 panels (c), (d), and a run's signal vs noise chart), with the
// caption sentence that says what they are and which ones fall outside the plotted range.
import RunRecords

/// The vertical T₁ markers of a chart and their caption.
enum T1Markers {
    /// The markers' labels (the wording).
    static let singleName = "T₁ predicted, single"
    static let multiName = "T₁ predicted, multi"

    /// The prediction every run in `runs` recorded; nil when none did (older folders) or when
    /// they disagree (runs of different settings).
    static func prediction(_ runs: [RunFolder]) -> T1Prediction? {
        let all = runs.compactMap { $0.summary?.run?.t1Predicted }
        guard let first = all.first, all.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// The two vertical lines, in the colours of their modality's series; a non-finite or
    /// non-positive prediction (the formula's logarithm not positive) gets no line.
    static func lines(_ p: T1Prediction, singleColor: String, multiColor: String) -> [ReferenceLine] {
        [(multiName, p.multiModal, multiColor), (singleName, p.singleModal, singleColor)]
            .filter { $0.1.isFinite && $0.1 > 0 }
            .map { ReferenceLine.vertical($0.0, x: $0.1, color: $0.2) }
    }

    /// "Vertical lines in …: Huang et al.'s predicted T₁ …", naming the ones past `lastX` (not drawn).
    static func caption(_ p: T1Prediction, panels: String, unit: String, lastX: Double?) -> String {
        func f(_ v: Double) -> String { v.isFinite ? NumberText.display(v, digits: 4) : NumberText.roundTrip(v) }
        var text =
            "Dotted vertical lines in \(panels): Huang et al.'s predicted first-stage length T₁ "
            + "(Lemma 5.2, single-modal: \(f(p.singleModal)) \(unit); Lemma 5.4, multi-modal: "
            + "\(f(p.multiModal)) \(unit); their forms in docs/experiments.md)"
        let beyond = [("single", p.singleModal), ("multi", p.multiModal)].filter { v in
            guard let lastX else { return false }
            return v.1.isFinite && v.1 > lastX
        }
        if !beyond.isEmpty {
            text += "; " + beyond.map(\.0).joined(separator: " and ") + " past the last \(unit.dropLast()): not drawn"
        }
        return text + "."
    }
}
