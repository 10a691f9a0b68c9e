// Train — `infomax train`: one run, or the embedded default's multi- vs single-modal
// comparison, under mpirun. Typed options on top of a JSON or YAML config; rank 0 writes the run folder.
import ArgumentParser
import Foundation
import MPI
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train contrastive encoders on synthetic data across the MPI ranks.",
        discussion: """
        Without options it runs the embedded default: Huang et al.'s Figure 1 setting \
        (d = 2000, n = 100, m = 50, full-batch gradient descent, lr 0.01, 200 steps), \
        multi-modal and then single-modal, and prints the comparison. Every key of the \
        config can be set in a JSON or YAML file (--config run.json, run.yaml) and/or \
        with --set key.path=value; --print-config shows them all.

        Output folder (rank 0 writes it):
          config.json           the resolved configuration
          metrics.csv, .jsonl   one row per logged step: loss, diagnostics, accuracy
          summary.json          final figures and status: completed, checkpointed
                                or failed
          checkpoint.ckpt       while a run is unfinished (atomic, checksummed)
          report.html           plots (also: infomax report DIR)

        With mode = compare the folder holds sweep.json, comparison.csv and \
        points/<mode>/. Every output folder gets a marker file, .infomax-run; a \
        non-empty folder without it is never written into, and --force deletes only \
        the entries above, in a marked folder.

        Checkpoints: on SIGTERM, SIGINT or SIGUSR1 rank 0 writes the last completed \
        step at once (summary.json: checkpointed; also on the SIGCONT with which \
        mpirun's kill sequence starts, 1 s before its SIGTERM), then the ranks finish \
        the step and exit 75 if the launcher lets them; also every checkpoint_every \
        steps and every checkpoint_minutes (default 10). A rank waiting in a \
        collective for stall_timeout_seconds (default max(60 s, 20 x the median \
        step)) ends the job with 74; a rank whose mpirun/srun died exits.

        Before anything is allocated, every rank's peak memory is estimated from the \
        config and compared with what its node can use (cgroup limit or MemAvailable, \
        shared by the node's ranks; INFOMAX_MEMORY_LIMIT_BYTES overrides it); a run \
        that cannot fit exits 64 naming the key. --dry-run prints the estimate by \
        component, then Huang et al.'s Assumption 4.1 conditions and first-stage \
        lengths T₁ for a signal-noise config (docs/experiments.md).

        Exit codes:
          0    done
          64   bad configuration, arguments or output folder (also: does not fit
               in memory)
          65   an input file (config, checkpoint) that cannot be used
          70   the loss became NaN/Inf
          74   ended by the stall watchdog (the checkpoint is valid)
          75   stopped by SIGTERM/SIGINT/SIGUSR1 after writing a checkpoint
               (resubmit with --resume; Slurm: --signal=B:USR1@120 and requeue)

        mpirun reports 1 instead of 75 when it killed the ranks after SIGTERM: \
        decide from summary.json's status.
        """)

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "The data model; sets the config key model.")
    var model: DataModelKind?

    @Option(help: "One modality, or compare: both side by side; sets the config key mode.")
    var mode: ModalityMode?

    @Option(help: "The training objective; sets the config key loss.kind.")
    var loss: LossKind?

    // Read as text and checked by the config loader as the key's value (same message as in a
    // file: the key and its range); `.unconditional` so that `--steps -1` is a value, not a missing one.
    @Option(parsing: .unconditional, help: ArgumentHelp("Gradient steps (the config key steps).", valueName: "steps"))
    var steps: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed, 0 to 2^64-1 (data, initialisation, augmentation).", valueName: "seed"))
    var seed: String?

    @Option(help: ArgumentHelp("Output folder (default runs/<name>).", valueName: "dir"))
    var output: String?

    @Flag(help: "Continue from the folder's checkpoint if there is one (else start).")
    var resume = false

    @Flag(help: "Start over in an output folder of an earlier run: removes what infomax wrote there; refuses (exit 64) a folder without the .infomax-run marker or with anything else in it.")
    var force = false

    @Flag(help: "Print the resolved configuration as JSON and exit.")
    var printConfig = false

    @Flag(help: ArgumentHelp("Print the estimated peak memory per rank by component and what this node can use, then exit (64 if it does not fit)."))
    var dryRun = false

    @Option(help: ArgumentHelp("Progress display; auto: a bar on a terminal, lines under mpirun/srun.", valueName: "style"))
    var progress: ProgressStyle = .auto

    @Flag(help: "Same as --progress none.")
    var quiet = false

    /// The options' config settings, typed, in the order --model, --mode, --loss, --steps,
    /// --seed (`--set` comes after them, so it wins).
    func settings() -> [ConfigSetting] {
        var settings: [ConfigSetting] = []
        if let model { settings.append(ConfigSetting(.model, model)) }
        if let mode { settings.append(ConfigSetting(.mode, mode)) }
        if let loss { settings.append(ConfigSetting(.lossKind, loss)) }
        if let steps { settings.append(ConfigSetting(.steps, argument: steps)) }
        if let seed { settings.append(ConfigSetting(.seed, argument: seed)) }
        return settings
    }

    func run() throws {
        let options = self
        MPIRun.run { comm in
            if options.output?.isEmpty == true {
                throw OutputFolder.refused("--output is empty: pass a folder, e.g. --output runs/my-run (--force never empties the working directory by accident)")
            }
            // Rank 0 reads the file; every rank parses the same text and validates alike.
            let cfg = try options.configOptions.load(comm, settings: options.settings())
            if options.printConfig {
                if comm.isRoot { print(try ConfigKey.json(cfg)) }
                return ExitCodes.success
            }
            if options.dryRun {
                let budget = try MemoryBudget.gather(comm)
                if comm.isRoot {
                    print(MemoryEstimate(config: cfg, ranks: comm.size, rank: 0).table(available: budget.describe(for: 0)))
                    if comm.size > 1 {
                        let other = MemoryEstimate(config: cfg, ranks: comm.size, rank: comm.size - 1)
                        print("estimated peak of rank \(comm.size - 1) (no probe fit or gathered features, no checkpoint keeper or writing): \(other.totalBytes)")
                    }
                    // Huang et al.'s Assumption 4.1 and T₁ for this config (signal-noise only).
                    print("")
                    print(HuangAssumptions(config: cfg)?.table() ?? HuangAssumptions.notApplicable(cfg.model))
                }
                try MPIRun.checkMemory(comm, [cfg])
                if comm.isRoot { print("fits: yes") }
                return ExitCodes.success
            }
            try MPIRun.checkMemory(comm, [cfg])
            let session = RunSession(config: cfg, comm: comm,
                                     output: URL(fileURLWithPath: options.output ?? "runs/\(cfg.name)"),
                                     resume: options.resume, force: options.force,
                                     progress: options.quiet ? .none : options.progress)
            return try session.run()
        }
    }
}

/// How progress is shown.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    case auto, bar, lines, none
}
