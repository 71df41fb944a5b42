import ArgumentParser
import Weir

/// The `weir` command.
@main
struct WeirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "Weir, a stream processor with end-to-end exactly-once, for Swift.",
        discussion: """
            Try it:
              weir run                 # the reference job; output and checkpoints in ./weir-data
              weir verify              # is the committed output exactly-once?
              weir checkpoints list    # the completed checkpoints
            After a crash (kill -9), `weir run --resume` continues from the latest checkpoint.
            """,
        subcommands: [RunCommand.self, VerifyCommand.self, CheckpointsCommand.self, ProduceCommand.self, WorkerCommand.self, GroupCommand.self],
        defaultSubcommand: RunCommand.self)
}
