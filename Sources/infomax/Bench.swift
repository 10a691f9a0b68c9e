// Bench — `infomax bench`: the group of benchmark commands. `bench step` (the default, see
// BenchStep) times real training steps by phase; `bench allreduce` and `bench network`
// measure the communication alone; `bench predict` extrapolates a bench.json to other rank counts.
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark training steps (default), the all-reduce, the network's α and β, or predict other rank counts.",
        subcommands: [BenchStep.self, BenchAllreduce.self, BenchNetwork.self, BenchPredict.self],
        defaultSubcommand: BenchStep.self)
}
