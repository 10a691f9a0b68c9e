// ReportCommand — `infomax report DIR`: the self-contained HTML report (inline SVG plots and
// a CSV per plotted series) of a run folder or a sweep folder. Needs no MPI.
import ArgumentParser
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the HTML report (plots + CSV of every plotted series) of a run or sweep folder.",
        discussion: """
        A run folder gives loss, signal / noise, condition number, alignment and accuracy
        curves; a sweep folder gives accuracy vs the swept parameter per modality (mean over
        seeds with a min–max band), curves per setting, and for a `ranks` axis time per step and
        parallel efficiency against the ideal line. Open the HTML in any browser; no network.
        """)

    @Argument(help: ArgumentHelp("A run folder (summary.json, metrics.csv) or a sweep folder (sweep.json).", valueName: "dir"))
    var folder: String

    @Option(help: ArgumentHelp("Where to write the HTML (default DIR/report.html).", valueName: "file"))
    var output: String?

    func run() throws {
        guard LaunchEnvironment.rank == 0 else { return }
        let url = try writeReport(for: URL(fileURLWithPath: folder), to: output.map { URL(fileURLWithPath: $0) })
        print(url.path)
    }
}
