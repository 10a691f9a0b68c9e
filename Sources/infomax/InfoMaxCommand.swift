// InfoMaxCommand — the root command and its subcommands' registry.
import ArgumentParser

struct InfoMaxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infomax",
        abstract: "Contrastive (InfoMax / InfoNCE) learning on synthetic data across MPI ranks.",
        // Paragraphs are one line each (a trailing \ joins source lines): the parser wraps
        // them to the terminal. Layout lines stay within 78 columns.
        discussion: """
            Launch every subcommand with mpirun (or srun --mpi=pmix); each rank generates \
            its own shard of the synthetic data, and rank 0 prints and writes the results.

              mpirun -np 2 infomax info    # what MPI and BLAS this build uses
              mpirun -np 2 infomax train   # the default: multi- vs single-modal
              mpirun -np 2 infomax bench   # time per step by phase, GFLOP/s, memory
              infomax train --help         # every option, the config file's schema

            Set OPENBLAS_NUM_THREADS=1 when the ranks fill the cores.
            """,
        subcommands: [Train.self, Sweep.self, ReportCommand.self, Bench.self, Info.self],
        defaultSubcommand: nil
    )
}
