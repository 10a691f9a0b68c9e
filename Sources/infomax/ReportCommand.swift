// ReportCommand — `infomax report DIR`: the self-contained HTML report (inline SVG plots and
// a CSV per plotted series) of a run folder, a sweep folder or a scaling study. Needs no MPI.
import ArgumentParser
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write the HTML report (plots + CSV of every plotted series) of a run, sweep or scaling-study folder.",
        discussion: """
            A run folder gives loss, signal / noise, condition number, alignment and \
            accuracy curves; a sweep folder gives accuracy vs the swept parameter per \
            modality (mean over seeds with a min–max band), curves per setting, and for a \
            `ranks` axis time per step and parallel efficiency against the ideal line.

            A scaling study (scaling.json plus np-<P>/bench.json from `infomax bench \
            --output` at each rank count P; written by jobs/scaling.sh and \
            jobs/scaling.sbatch) gives time per step vs ranks (log–log) with the ideal \
            line (strong: t(p₀)·p₀/p; weak: constant), parallel efficiency (strong: \
            t(p₀)·p₀/(p·t(p)); weak: t(p₀)/t(p); p₀ = fewest ranks), the phases of a step \
            per rank count, GFLOP/s per rank vs the sgemm peak, memory and communication \
            per rank, and writes DIR/scaling.csv: one row per rank count (ranks, \
            global_batch, seconds_per_step, speedup, efficiency, <phase>_seconds, \
            gflops_total, fraction_of_peak, bytes_per_step_per_rank, peak_rss_bytes, …). \
            A missing or malformed bench.json is an error naming the file.

            Open the HTML in any browser; no network.
            """)

    @Argument(
        help: ArgumentHelp(
            "A run folder (summary.json, metrics.csv), a sweep folder (sweep.json) or a scaling study (scaling.json).",
            valueName: "dir"))
    var folder: String

    @Option(help: ArgumentHelp("Where to write the HTML (default DIR/report.html).", valueName: "file"))
    var output: String?

    func run() throws {
        guard LaunchEnvironment.rank == 0 else { return }
        let url = try writeReport(for: URL(fileURLWithPath: folder), to: output.map { URL(fileURLWithPath: $0) })
        print(url.path)
    }
}
