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

    /// Deletes completed checkpoints beyond the newest `retained`, and the shared files that
    /// only those referenced.
    ///
    /// A shared file that a checkpoint still in flight references is safe: a task references
    /// only files its previous checkpoint held, a file that is live in an older checkpoint and
    /// in a newer one is live in every checkpoint between them (SST files are immutable and never
    /// come back once compacted away), so it is in the newest completed checkpoint, which is
    /// always retained.
    @usableFromInline func retain(_ retained: Int) throws {
        let complete = try storage.storedCheckpoints().filter(\.isComplete)
        let discarded = Array(complete.dropFirst(max(1, retained)))
        guard !discarded.isEmpty else { return }
        // Read before anything is deleted: a metadata that cannot be read keeps its files (a
        // leak is cleaned up by the next claim; a wrong delete would break a checkpoint).
        let released = discarded.compactMap { try? metadata(of: $0) }.flatMap { $0.sharedFiles ?? [] }.map(\.name)
        for checkpoint in discarded { storage.discard(checkpoint) }
        guard !released.isEmpty else { return }
        var kept = Set<String>()
        for checkpoint in complete.prefix(max(1, retained)) {
            guard let metadata = try? metadata(of: checkpoint) else { return }  // unsure what it needs: delete nothing
            kept.formUnion((metadata.sharedFiles ?? []).map(\.name))
        }
        for name in Set(released).subtracting(kept) { storage.deleteSharedFile(name) }
    }

    /// Deletes the shared files no completed checkpoint references (uploaded by checkpoints
    /// that were aborted or never completed, or by runs whose checkpoints were discarded).
    /// Called right after this run claimed the storage, before it writes a checkpoint.
    @usableFromInline func removeUnreferencedSharedFiles() throws {
        let names = try storage.sharedFileNames()
        guard !names.isEmpty else { return }
        var referenced = Set<String>()
        for checkpoint in try storage.storedCheckpoints() where checkpoint.isComplete {
            guard let metadata = try? metadata(of: checkpoint) else { return }  // cannot tell: keep everything
            referenced.formUnion((metadata.sharedFiles ?? []).map(\.name))
        }
        for name in names where !referenced.contains(name) { storage.deleteSharedFile(name) }
    }

    /// The decoded metadata of a stored checkpoint (not verified beyond its own checksum).
    @usableFromInline func metadata(of checkpoint: StoredCheckpoint) throws -> CheckpointMetadata {
        try CheckpointFileFormat.decode(CheckpointMetadata.self, kind: .metadata, from: try storage.read(StoredCheckpoint.metadataName, of: checkpoint),
                                        path: checkpoint.location + "/" + StoredCheckpoint.metadataName)
    }

    /// Reads and verifies a completed checkpoint: its metadata and the checksum of every state file.
    @usableFromInline func load(_ checkpoint: StoredCheckpoint) throws -> Completed {
        let metadata = try metadata(of: checkpoint)
        for file in metadata.files {
            let bytes = try storage.read(file.name, of: checkpoint)
            guard bytes.count == file.size, CRC32C.checksum(bytes) == file.checksum else {
                throw CheckpointError.corruptFile(path: checkpoint.location + "/" + file.name, reason: "size or checksum differs from the checkpoint's metadata")
            }
        }
        // The shared files too: a missing or damaged one makes the checkpoint unusable here,
        // where the fallback rules apply, not halfway through a restore.
        let shared = SharedStateFiles(storage: storage)
        for file in metadata.sharedFiles ?? [] { _ = try shared.verifiedBytes(of: file) }
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
