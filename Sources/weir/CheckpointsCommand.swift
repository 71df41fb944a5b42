import ArgumentParser
import Foundation
import Weir

/// `weir checkpoints`: what a checkpoint directory (or S3 location) holds.
struct CheckpointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "List and inspect the checkpoints of a job.",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    static func resolve(_ directory: String?) -> String { directory ?? "./weir-data/checkpoints" }

    /// The storage at `location`: a directory that must exist, or `s3://bucket/prefix`.
    static func storage(_ location: String, s3: S3Options) throws -> any CheckpointStorage {
        if location.hasPrefix("s3://") {
            guard StorageLocation.s3IsBuiltIn else { throw StorageLocation.s3Missing }
            return try s3.location(location).checkpointStorage()
        }
        guard FileManager.default.fileExists(atPath: location) else { throw ValidationError("no checkpoint directory at '\(location)'") }
        return FileCheckpointStorage(directory: location)
    }

    static func time(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
    }

    static func bytes(_ count: Int) -> String {
        count >= 1 << 20 ? String(format: "%.1f MiB", Double(count) / 1_048_576) : count >= 1 << 10 ? String(format: "%.1f KiB", Double(count) / 1_024) : "\(count) B"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the checkpoints in a directory, newest first, each verified against its checksums.",
            discussion: """
                Examples:
                  weir checkpoints list
                  weir checkpoints list /var/lib/weir/clicks
                  weir checkpoints list s3://state/jobs/clicks --s3-endpoint http://127.0.0.1:9000
                """)

        @Argument(help: "The checkpoint directory or s3://bucket/prefix (default ./weir-data/checkpoints).") var directory: String?
        @OptionGroup var s3: S3Options

        func run() throws {
            let directory = CheckpointsCommand.resolve(directory)
            let entries = try CheckpointInspector.list(try CheckpointsCommand.storage(directory, s3: s3))
            if entries.isEmpty { print("no checkpoints in \(directory)") }
            for entry in entries {
                guard let metadata = entry.metadata else {
                    print("chk-\(entry.checkpointID)  NOT USABLE: \(entry.problem ?? "?")")
                    continue
                }
                print("chk-\(entry.checkpointID)  \(CheckpointsCommand.time(metadata.triggeredAt))  \(metadata.durationMilliseconds) ms  \(CheckpointsCommand.bytes(metadata.stateSize))\(CheckpointsCommand.incremental(metadata))  \(metadata.files.count) files  job '\(metadata.jobName)'\(metadata.isFinal ? "  final" : "")  checksums OK")
            }
        }
    }

    /// `, 2.1 MB written` for an incremental checkpoint (it references files earlier ones wrote).
    static func incremental(_ metadata: CheckpointMetadata) -> String {
        metadata.sharedFiles == nil ? "" : " (\(bytes(metadata.checkpointedSize)) written)"
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one checkpoint (the latest by default): operators, their state, checksums.",
            discussion: """
                Examples:
                  weir checkpoints show
                  weir checkpoints show ./weir-data/checkpoints --id 12
                """)

        @Argument(help: "The checkpoint directory or s3://bucket/prefix (default ./weir-data/checkpoints).") var directory: String?
        @Option(help: "Checkpoint id (default: the latest).") var id: Int64?
        @OptionGroup var s3: S3Options

        func run() throws {
            let directory = CheckpointsCommand.resolve(directory)
            let storage = try CheckpointsCommand.storage(directory, s3: s3)
            let stored = try storage.storedCheckpoints()
            guard let checkpoint = id.map({ id in stored.first { $0.checkpointID == id } }) ?? stored.first(where: \.isComplete) else {
                throw ValidationError(id.map { "no checkpoint \($0) in '\(directory)'" } ?? "no checkpoints in '\(directory)'")
            }
            let (metadata, states) = try CheckpointInspector.load(checkpoint, in: storage)
            print("checkpoint \(metadata.checkpointID) of job '\(metadata.jobName)'\(metadata.isFinal ? " (final)" : "")")
            let shared = metadata.sharedFiles.map { ", and \($0.count) shared files" } ?? ""
            print("  triggered \(CheckpointsCommand.time(metadata.triggeredAt)), took \(metadata.durationMilliseconds) ms, \(CheckpointsCommand.bytes(metadata.stateSize))\(CheckpointsCommand.incremental(metadata)) in \(metadata.files.count) files\(shared), max parallelism \(metadata.maxParallelism)")
            print("  checksums: OK (every file verified)")
            for op in metadata.operators {
                let mine = states.filter { $0.operatorID == op.operatorID }
                let size = mine.reduce(0) { $0 + $1.fileSize }
                print("  operator \(op.operatorID) ×\(op.parallelism): \(mine.isEmpty ? "no state" : CheckpointsCommand.bytes(size))")
                for state in mine {
                    var parts = state.keyedParts.map { "\($0.name): \($0.keyGroups) key groups, \(CheckpointsCommand.bytes($0.bytes))" }
                    if let native = state.native {
                        let uploaded = native.sharedFiles.filter { $0.uploadedBy == metadata.checkpointID }
                        parts.append("\(native.format) files for key groups \(native.keyGroups.start)...\(native.keyGroups.end): \(native.sharedFiles.count) shared "
                                     + "(\(CheckpointsCommand.bytes(native.sharedFiles.reduce(0) { $0 + $1.size })), \(uploaded.count) uploaded by this checkpoint), \(native.privateFiles.count) inline")
                    }
                    if state.listStateEntries > 0 { parts.append("\(state.listStateEntries) list-state entries (source splits or sink transactions)") }
                    print("    subtask \(state.subtask): " + parts.joined(separator: "; "))
                }
            }
        }
    }
}
