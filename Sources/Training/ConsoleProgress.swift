// Training/ConsoleProgress.swift — progress on long runs: on a terminal one line rewritten in place
// with rate and ETA; elsewhere (Slurm logs, files) plain lines at a steady interval.
import Foundation

/// Prints progress to standard output (rank 0 only).
public final class ConsoleProgress: ProgressSink {
    let label: String
    let interactive: Bool
    let plainInterval: Double
    var lastPrint = -Double.infinity
    var lineOpen = false

    /// - Parameters:
    ///   - interactive: rewrite one line in place (a terminal); else plain lines.
    ///   - plainInterval: seconds between plain lines.
    public init(label: String, interactive: Bool, plainInterval: Double = 10) {
        self.label = label
        self.interactive = interactive
        self.plainInterval = plainInterval
    }

    public func update(step: Int, of total: Int, loss: Double, elapsed: Double) {
        let done = step >= total
        if !interactive, !done, elapsed - lastPrint < plainInterval, step != 1 { return }
        if interactive, !done, elapsed - lastPrint < 0.1 { return }
        lastPrint = elapsed
        let text = line(step: step, of: total, loss: loss, elapsed: elapsed)
        if interactive {
            print("\r\u{1B}[2K" + text, terminator: done ? "\n" : "")
            lineOpen = !done
        } else {
            print(text)
        }
        fflush(nil)
    }

    /// The progress line: steps, percentage, loss, rate, elapsed time and ETA. Never a negative
    /// ETA or more than 100%: a resumed run can be past a shortened total, and the clock can
    /// step backwards.
    public func line(step: Int, of total: Int, loss: Double, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(step) / elapsed : 0
        let eta = rate > 0 ? max(0, Double(total - step)) / rate : 0
        let pct = min(100, max(0, Int(100 * Double(step) / Double(max(total, 1)))))
        return "[\(label)] step \(step)/\(total) (\(pct)%) loss \(format(loss)) | \(String(format: "%.1f", max(0, rate))) steps/s"
            + " | elapsed \(clock(elapsed)) | ETA \(clock(eta))"
    }

    public func message(_ text: String) {
        if lineOpen { print(""); lineOpen = false }
        print("[\(label)] \(text)")
        fflush(nil)
    }

    public func finish() {
        if lineOpen { print(""); lineOpen = false }
        fflush(nil)
    }

    func format(_ x: Double) -> String { x.isFinite ? String(format: "%.5g", x) : "\(x)" }

    func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 1e9 else { return "?" }
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
