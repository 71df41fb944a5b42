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
        public var listStateEntries: Int { listState.count }
        /// Those entries, encoded as their operator wrote them (a tool that knows the operator
        /// decodes them: `weir group` reads a Kafka source's positions from them).
        public let listState: [[UInt8]]
        /// A backend's own files (RocksDB's incremental checkpoints), if it wrote its keyed state so.
        public let native: NativeKeyedStateHandle?
    }

    /// Every checkpoint directory in `directory`, newest first, each verified.
    public static func list(directory: String) throws -> [Entry] {
        try list(FileCheckpointStorage(directory: directory))
    }

    /// Every checkpoint that a restore from `storage` could use, newest first, each verified.
    public static func list(_ storage: any CheckpointStorage) throws -> [Entry] {
        let store = CheckpointStore(storage)
        return try storage.storedCheckpoints().map { checkpoint in
            guard checkpoint.isComplete else {
                return Entry(checkpointID: checkpoint.checkpointID, path: checkpoint.location, metadata: nil, problem: "incomplete (no _metadata)")
            }
            do {
                return Entry(checkpointID: checkpoint.checkpointID, path: checkpoint.location, metadata: try store.load(checkpoint).metadata, problem: nil)
            } catch {
                return Entry(checkpointID: checkpoint.checkpointID, path: checkpoint.location, metadata: nil, problem: "\(error)")
            }
        }
    }

    /// Loads a checkpoint directory and verifies every file's checksum; throws naming a damaged file.
    public static func load(_ path: String) throws -> (metadata: CheckpointMetadata, states: [OperatorState]) {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let storage = FileCheckpointStorage(directory: parent.isEmpty ? "." : parent)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let checkpoint = try storage.storedCheckpoints().first(where: { $0.reference.hasSuffix("/" + name) }) else {
            throw CheckpointError.storage(path: path, reason: "not a checkpoint directory (chk-<n>)")
        }
        return try load(checkpoint, in: storage)
    }

    /// Loads a stored checkpoint and verifies every file's checksum; throws naming a damaged file.
    public static func load(_ checkpoint: StoredCheckpoint, in storage: any CheckpointStorage) throws -> (metadata: CheckpointMetadata, states: [OperatorState]) {
        let store = CheckpointStore(storage)
        let completed = try store.load(checkpoint)
        var states: [OperatorState] = []
        for operatorID in Set(completed.metadata.files.map(\.operatorID)).sorted() {
            for file in try store.readStates(of: operatorID, in: completed) {
                let size = completed.metadata.files.first { $0.operatorID == operatorID && $0.subtask == file.subtask }?.size ?? 0
                states.append(OperatorState(
                    operatorID: operatorID, subtask: file.subtask, fileSize: size,
                    keyedParts: file.keyed.sorted { $0.key < $1.key }.map { ($0.key, $0.value.count, $0.value.reduce(0) { $0 + $1.bytes.count }) },
                    listState: file.listState, native: file.native))
            }
        }
        return (completed.metadata, states)
    }
}
