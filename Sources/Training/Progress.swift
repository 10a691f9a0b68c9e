// Training/Progress.swift — progress on long runs: on a terminal one line rewritten in place
// with rate and ETA; elsewhere (Slurm logs, files) plain lines at a steady interval.
#if canImport(Glibc)
import Glibc
#endif
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
        let rate = elapsed > 0 ? Double(step) / elapsed : 0
        let eta = rate > 0 ? Double(total - step) / rate : 0
        let pct = Int(100 * Double(step) / Double(max(total, 1)))
        let text = "[\(label)] step \(step)/\(total) (\(pct)%) loss \(format(loss)) | \(String(format: "%.1f", rate)) steps/s | elapsed \(clock(elapsed)) | ETA \(clock(eta))"
        if interactive {
            print("\r\u{1B}[2K" + text, terminator: done ? "\n" : "")
            lineOpen = !done
        } else {
            print(text)
        }
        fflush(stdout)
    }

    public func message(_ text: String) {
        if lineOpen { print(""); lineOpen = false }
        print("[\(label)] \(text)")
        fflush(stdout)
    }

    public func finish() {
        if lineOpen { print(""); lineOpen = false }
        fflush(stdout)
    }

    func format(_ x: Double) -> String { x.isFinite ? String(format: "%.5g", x) : "\(x)" }

    func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
