/// Reads checkpoints for tools (`weir checkpoints`): what a directory holds, and whether every
/// file of a checkpoint matches its checksum.
public enum CheckpointInspector {
    /// One `chk-<n>` directory.
    public struct Entry: Sendable {
        /// The id in the directory's name.
        public let checkpointID: Int64
        /// The directory.
        public let path: String
        /// `nil` if the checkpoint is incomplete or damaged (see `problem`).
        public let metadata: CheckpointMetadata?
        /// What is wrong with it, if anything (a missing `_metadata`, a checksum mismatch).
        public let problem: String?
    }

    /// The state of one operator subtask in a checkpoint.
    public struct OperatorState: Sendable {
        /// The operator's stable id.
        public let operatorID: String
        /// The subtask.
        public let subtask: Int
        /// Bytes of its state file.
        public let fileSize: Int
        /// Keyed parts (state tables, timers): the number of key groups and encoded bytes.
        public let keyedParts: [(name: String, keyGroups: Int, bytes: Int)]
        /// Entries of operator list state (a source's splits, a sink's transactions).
        public let listStateEntries: Int
    }

    /// Every checkpoint directory in `directory`, newest first, each verified.
    public static func list(directory: String) throws -> [Entry] {
        let storage = FileCheckpointStorage(directory: directory)
        return try storage.checkpointDirectories().map { id, path in
            do {
                return Entry(checkpointID: id, path: path, metadata: try storage.load(path).metadata, problem: nil)
            } catch {
                let incomplete = !FileManagerShim.exists(path + "/_metadata")
                return Entry(checkpointID: id, path: path, metadata: nil, problem: incomplete ? "incomplete (no _metadata)" : "\(error)")
            }
        }
    }

    /// Loads a checkpoint and verifies every file's checksum; throws naming a damaged file.
    public static func load(_ path: String) throws -> (metadata: CheckpointMetadata, states: [OperatorState]) {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let storage = FileCheckpointStorage(directory: parent.isEmpty ? "." : parent)
        let completed = try storage.load(path)
        var states: [OperatorState] = []
        for operatorID in Set(completed.metadata.files.map(\.operatorID)).sorted() {
            for file in try storage.readStates(of: operatorID, in: completed) {
                let size = completed.metadata.files.first { $0.operatorID == operatorID && $0.subtask == file.subtask }?.size ?? 0
                states.append(OperatorState(
                    operatorID: operatorID, subtask: file.subtask, fileSize: size,
                    keyedParts: file.keyed.sorted { $0.key < $1.key }.map { ($0.key, $0.value.count, $0.value.reduce(0) { $0 + $1.bytes.count }) },
                    listStateEntries: file.listState.count))
            }
        }
        return (completed.metadata, states)
    }
}

import Foundation

@usableFromInline enum FileManagerShim {
    @usableFromInline static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
