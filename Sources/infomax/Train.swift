// Train — `infomax train`: one run, or the embedded default's multi- vs single-modal
// comparison, under mpirun. Options on top of a JSON config; rank 0 writes the run folder.
import ArgumentParser
import Foundation
import MPI
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train contrastive encoders on synthetic data across the MPI ranks.",
        discussion: """
        Without options it runs the embedded default: Huang et al.'s Figure 1 setting (d = 2000,
        n = 100, m = 50, full-batch gradient descent, lr 0.01, 200 steps), multi-modal and then
        single-modal, and prints the comparison. Every key of the config can be set in a JSON
        file (--config) and/or with --set key.path=value; --print-config shows them all.

        Output folder (rank 0 writes it):
          config.json              the resolved configuration
          metrics.csv / .jsonl     one row per logged step: loss, diagnostics, accuracy, times
          summary.json             final figures and status (completed | checkpointed | failed)
          checkpoint.ckpt          while a run is unfinished (atomic, checksummed)
          report.html              plots (also: infomax report DIR)
        With mode = compare the folder holds sweep.json, comparison.csv and points/<mode>/.

        Checkpoints: on SIGTERM, SIGINT or SIGUSR1 rank 0 writes the last completed step at
        once (summary.json: checkpointed), then the ranks finish the step and exit 75 if the
        launcher lets them; also every checkpoint_every steps and every checkpoint_minutes
        (default 10). A rank waiting in a collective for stall_timeout_seconds (default
        max(60 s, 20 x the median step)) ends the job with 74; a rank whose mpirun/srun died exits.

        Exit codes: 0 done, 64 bad configuration or arguments, 65 unusable input file or
        checkpoint, 70 the loss became NaN/Inf, 74 ended by the stall watchdog (the checkpoint
        is valid), 75 stopped by SIGTERM/SIGINT/SIGUSR1 after writing a checkpoint (resubmit
        with --resume; Slurm: --signal=B:USR1@120 and requeue). mpirun reports 1 instead of 75
        when it killed the ranks after SIGTERM: decide from summary.json's status.
        """)

    @Option(name: .long, help: ArgumentHelp("A JSON config file (keys in snake_case, see --print-config).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one key, e.g. --set signal_noise.snr=0.5 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Data model: signal-noise | latent-linear | cooccurrence.")
    var model: String?

    @Option(help: "multi-modal | single-modal | compare (both, side by side).")
    var mode: String?

    @Option(help: "infonce | positive-only | spectral.")
    var loss: String?

    @Option(help: "Gradient steps.")
    var steps: Int?

    @Option(help: "Random seed (data, initialisation, augmentation).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Output folder (default runs/<name>).", valueName: "dir"))
    var output: String?

    @Flag(help: "Continue from the folder's checkpoint if there is one (else start).")
    var resume = false

    @Flag(help: "Overwrite a finished output folder.")
    var force = false

    @Flag(help: "Print the resolved configuration as JSON and exit.")
    var printConfig = false

    @Option(help: ArgumentHelp("Progress display: auto (a bar on a terminal, lines under mpirun/srun), bar, lines, none.", valueName: "style"))
    var progress: ProgressStyle = .auto

    @Option(help: .hidden)
    var stopAtStep: Int?

    @Flag(help: "Same as --progress none.")
    var quiet = false

    func resolvedOverrides() -> [String] {
        var o: [String] = []
        if let model { o.append("model=\"\(model)\"") }
        if let mode { o.append("mode=\"\(mode)\"") }
        if let loss { o.append("loss.kind=\"\(loss)\"") }
        if let steps { o.append("steps=\(steps)") }
        if let seed { o.append("seed=\(seed)") }
        return o + overrides
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            // Rank 0 reads the file; every rank parses the same text and validates alike.
            let cfg = try MPIRun.loadConfig(comm, path: options.config, overrides: options.resolvedOverrides())
            if options.printConfig {
                if comm.isRoot { print(try ConfigLoader.json(cfg)) }
                return ExitStatus.success
            }
            let session = RunSession(config: cfg, comm: comm,
                                     output: URL(fileURLWithPath: options.output ?? "runs/\(cfg.name)"),
                                     resume: options.resume, force: options.force,
                                     progress: options.quiet ? .none : options.progress, stopAtStep: options.stopAtStep)
            return try session.run()
        }
    }
}

/// How progress is shown.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    case auto, bar, lines, none
}
