// ConfigOptions — `--config FILE` and `--set key.path=value`, declared once and shared (as an
// @OptionGroup) by every command that reads a run configuration: train, sweep, bench.
import ArgumentParser
import MPI
import Training

struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A JSON or YAML (.yaml, .yml) config file; keys in snake_case, see infomax train --print-config.",
        valueName: "file"))
    var config: String?

    @Option(name: .customLong("set"),
            help: ArgumentHelp("Override one config key (repeatable), e.g. signal_noise.snr=0.5.",
                               valueName: "key=value"))
    var overrides: [String] = []

    /// The `--set` assignments, after the command's own `settings` (so `--set` wins).
    func settings(after settings: [ConfigSetting] = []) -> [ConfigSetting] {
        settings + overrides.map(ConfigSetting.assignment)
    }

    /// The validated configuration every rank uses: the defaults, the file, the command's own
    /// `settings`, then `--set` (see `MPIRun.loadConfig`).
    func load(_ comm: Communicator, settings: [ConfigSetting] = []) throws -> TrainConfig {
        try MPIRun.loadConfig(comm, path: config, settings: self.settings(after: settings))
    }
}
