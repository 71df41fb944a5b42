/// The checkpoints of a job in its ``CheckpointStorage``: what the engine knows of their
/// content, the same for every storage — state files encoded with their CRC-32C in the
/// metadata, verification before a restore, the choice of the checkpoint to restore (with the
/// fallback rule for damaged ones), retention.
@usableFromInline struct CheckpointStore: Sendable {
    @usableFromInline let storage: any CheckpointStorage

    @usableFromInline init(_ storage: any CheckpointStorage) {
        self.storage = storage
    }

    @usableFromInline var location: String { storage.location }

    /// A completed checkpoint, its metadata read and every state file verified.
    @usableFromInline struct Completed: Sendable {
        @usableFromInline let metadata: CheckpointMetadata
        @usableFromInline let stored: StoredCheckpoint
    }

    /// A completed checkpoint that cannot be restored, and why.
    @usableFromInline struct UnusableCheckpoint: Sendable {
        @usableFromInline let checkpointID: Int64
        @usableFromInline let reason: String
    }

    @usableFromInline static func stateFileName(operatorID: String, subtask: Int) -> String {
        let safe = String(operatorID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return "\(safe)-\(subtask).state"
    }

    /// Encodes and writes one operator subtask's state file; its size and checksum go into the metadata.
    @usableFromInline func writeState(_ state: OperatorStateFile, checkpointID: Int64) throws -> CheckpointMetadata.StateFile {
        let bytes = try CheckpointFileFormat.encode(state, kind: .operatorState)
        let name = Self.stateFileName(operatorID: state.operatorID, subtask: state.subtask)
        try storage.writeStateFile(bytes, name: name, checkpointID: checkpointID)
        return CheckpointMetadata.StateFile(name: name, operatorID: state.operatorID, subtask: state.subtask, size: bytes.count, checksum: CRC32C.checksum(bytes))
    }

    /// Makes the checkpoint complete: its metadata, written last.
    @usableFromInline func complete(_ metadata: CheckpointMetadata) throws {
        try storage.completeCheckpoint(metadata.checkpointID, metadata: try CheckpointFileFormat.encode(metadata, kind: .metadata))
    }

    /// Deletes completed checkpoints beyond the newest `retained`.
    @usableFromInline func retain(_ retained: Int) throws {
        for checkpoint in try storage.storedCheckpoints().filter(\.isComplete).dropFirst(max(1, retained)) {
            storage.discard(checkpoint)
        }
    }

    /// Reads and verifies a completed checkpoint: its metadata and the checksum of every state file.
    @usableFromInline func load(_ checkpoint: StoredCheckpoint) throws -> Completed {
        let metadataLocation = checkpoint.location + "/" + StoredCheckpoint.metadataName
        let metadata = try CheckpointFileFormat.decode(CheckpointMetadata.self, kind: .metadata,
                                                       from: try storage.read(StoredCheckpoint.metadataName, of: checkpoint), path: metadataLocation)
        for file in metadata.files {
            let bytes = try storage.read(file.name, of: checkpoint)
            guard bytes.count == file.size, CRC32C.checksum(bytes) == file.checksum else {
                throw CheckpointError.corruptFile(path: checkpoint.location + "/" + file.name, reason: "size or checksum differs from the checkpoint's metadata")
            }
        }
        return Completed(metadata: metadata, stored: checkpoint)
    }

    /// The newest completed checkpoint that verifies; damaged ones are reported through
    /// `report` and skipped — but before an older checkpoint is chosen over newer completed
    /// ones that are unusable, `beforeFallingBack` decides (it throws to refuse: restoring an
    /// older checkpoint replays input whose results sinks may already have committed). `nil` if
    /// there is no checkpoint at all; an error if there are checkpoints but every one is damaged
    /// (starting from scratch would silently replay the whole input).
    @usableFromInline func latestValid(report: (String) -> Void,
                                       beforeFallingBack: (_ unusable: [UnusableCheckpoint], _ older: Int64) throws -> Void = { _, _ in }) throws -> Completed? {
        var unusable: [UnusableCheckpoint] = []
        for checkpoint in try storage.storedCheckpoints() where checkpoint.isComplete {
            let completed: Completed
            do {
                completed = try load(checkpoint)
            } catch {
                report("checkpoint \(checkpoint.checkpointID) is not usable: \(error)")
                unusable.append(UnusableCheckpoint(checkpointID: checkpoint.checkpointID, reason: "\(error)"))
                continue
            }
            if !unusable.isEmpty { try beforeFallingBack(unusable, checkpoint.checkpointID) }
            return completed
        }
        if !unusable.isEmpty {
            throw CheckpointError.incompatible("no usable checkpoint in '\(location)': " + unusable.map(\.reason).joined(separator: "; "))
        }
        return nil
    }

    /// The state files of `operatorID` in a completed checkpoint, verified and decoded.
    @usableFromInline func readStates(of operatorID: String, in checkpoint: Completed) throws -> [OperatorStateFile] {
        try checkpoint.metadata.files.filter { $0.operatorID == operatorID }.map { file in
            let location = checkpoint.stored.location + "/" + file.name
            let bytes = try storage.read(file.name, of: checkpoint.stored)
            guard CRC32C.checksum(bytes) == file.checksum else {
                throw CheckpointError.corruptFile(path: location, reason: "checksum differs from the checkpoint's metadata")
            }
            return try CheckpointFileFormat.decode(OperatorStateFile.self, kind: .operatorState, from: bytes, path: location)
        }
    }
}
