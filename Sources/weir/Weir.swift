import ArgumentParser
import Weir

/// The `weir` command.
@main
struct WeirCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "Weir, a stream processor with end-to-end exactly-once, for Swift.",
        subcommands: [RunCommand.self],
        defaultSubcommand: RunCommand.self)
}
