import Foundation

/// Checkpoints in a directory of the file system:
///
/// ```
/// <directory>/
///   chk-<n>/
///     <operator>-<subtask>.state   one per operator subtask that has state (CheckpointFileFormat)
///     _metadata                    written last: temp file, fsync, rename, fsync directory
///   _owner                         the run that writes checkpoints here now
/// ```
///
/// A `chk-<n>` without a valid `_metadata` is an incomplete checkpoint and is deleted on start.
///
/// A run claims the directory when it starts (`_owner`), and completes a checkpoint only while
/// the claim is still its own: a newer run of the job — started because this one was thought
/// dead — fences it, as a Kafka producer's epoch fences an older producer.
@usableFromInline struct FileCheckpointStorage: Sendable {
    @usableFromInline let directory: String
    /// This run: host, process and a random part.
    @usableFromInline let owner: String

    @usableFromInline init(directory: String, owner: String = FileCheckpointStorage.newOwner()) {
        self.directory = directory
        self.owner = owner
    }

    @usableFromInline static func newOwner() -> String {
        "\(ProcessInfo.processInfo.hostName) pid \(getpid()) run \(UUID().uuidString.prefix(8))"
    }

    @usableFromInline var ownerPath: String { directory + "/_owner" }

    /// A completed checkpoint found in the directory.
    @usableFromInline struct Completed: Sendable {
        @usableFromInline let metadata: CheckpointMetadata
        @usableFromInline let path: String
    }

    @usableFromInline func checkpointPath(_ checkpointID: Int64) -> String { "\(directory)/chk-\(checkpointID)" }

    /// Creates the directory if needed and deletes incomplete checkpoints.
    @usableFromInline func prepare() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
        for (_, path) in try checkpointDirectories() where !FileManager.default.fileExists(atPath: path + "/_metadata") {
            try? FileManager.default.removeItem(atPath: path)
        }
        do { try DurableFile.write(Array(owner.utf8), to: ownerPath) } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot claim the checkpoint directory: \(error)")
        }
    }

    /// Throws ``CheckpointError/superseded(path:by:)`` once another run claimed the directory.
    @usableFromInline func checkStillOwned() throws {
        guard let bytes = try? DurableFile.read(ownerPath) else { return }
        let current = String(decoding: bytes, as: UTF8.self)
        if current != owner { throw CheckpointError.superseded(path: directory, by: current) }
    }

    @usableFromInline func createCheckpointDirectory(_ checkpointID: Int64) throws {
        let path = checkpointPath(checkpointID)
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.storage(path: path, reason: "cannot create: \(error.localizedDescription)")
        }
    }

    @usableFromInline static func stateFileName(operatorID: String, subtask: Int) -> String {
        let safe = String(operatorID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        return "\(safe)-\(subtask).state"
    }

    /// Writes one operator subtask's state file (fsynced; made durable as a whole by the
    /// directory fsync before the metadata).
    @usableFromInline func writeState(_ state: OperatorStateFile, checkpointID: Int64) throws -> CheckpointMetadata.StateFile {
        let bytes = try CheckpointFileFormat.encode(state, kind: .operatorState)
        let name = Self.stateFileName(operatorID: state.operatorID, subtask: state.subtask)
        let path = checkpointPath(checkpointID) + "/" + name
        try DurableFile.writeAndSync(bytes, to: path)
        return CheckpointMetadata.StateFile(name: name, operatorID: state.operatorID, subtask: state.subtask, size: bytes.count, checksum: CRC32C.checksum(bytes))
    }

    /// Makes checkpoint `id` complete: fsyncs its directory, then writes `_metadata` atomically.
    @usableFromInline func writeMetadata(_ metadata: CheckpointMetadata) throws {
        try checkStillOwned()
        let path = checkpointPath(metadata.checkpointID)
        try DurableFile.syncDirectory(path)
        try DurableFile.write(try CheckpointFileFormat.encode(metadata, kind: .metadata), to: path + "/_metadata")
        try DurableFile.syncDirectory(directory)
    }

    @usableFromInline func discard(_ checkpointID: Int64) {
        try? FileManager.default.removeItem(atPath: checkpointPath(checkpointID))
    }

    /// Deletes completed checkpoints beyond the newest `retained`.
    @usableFromInline func retain(_ retained: Int) throws {
        let completed = try checkpointDirectories().filter { FileManager.default.fileExists(atPath: $0.path + "/_metadata") }
        for (_, path) in completed.dropFirst(max(1, retained)) { try? FileManager.default.removeItem(atPath: path) }
    }

    /// `chk-<n>` directories, newest first.
    @usableFromInline func checkpointDirectories() throws -> [(id: Int64, path: String)] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot list: \(error.localizedDescription)")
        }
        return names.compactMap { name -> (Int64, String)? in
            guard name.hasPrefix("chk-"), let id = Int64(name.dropFirst(4)) else { return nil }
            return (id, "\(directory)/\(name)")
        }.sorted { $0.0 > $1.0 }
    }

    /// Reads and verifies a completed checkpoint: its metadata and the checksum of every state file.
    @usableFromInline func load(_ path: String) throws -> Completed {
        let metadataPath = path + "/_metadata"
        let metadata = try CheckpointFileFormat.decode(CheckpointMetadata.self, kind: .metadata, from: try readFile(metadataPath), path: metadataPath)
        for file in metadata.files {
            let filePath = path + "/" + file.name
            let bytes = try readFile(filePath)
            guard bytes.count == file.size, CRC32C.checksum(bytes) == file.checksum else {
                throw CheckpointError.corruptFile(path: filePath, reason: "size or checksum differs from the checkpoint's metadata")
            }
        }
        return Completed(metadata: metadata, path: path)
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
        for (id, path) in try checkpointDirectories() where FileManager.default.fileExists(atPath: path + "/_metadata") {
            let completed: Completed
            do {
                completed = try load(path)
            } catch {
                report("checkpoint \(id) is not usable: \(error)")
                unusable.append(UnusableCheckpoint(checkpointID: id, reason: "\(error)"))
                continue
            }
            if !unusable.isEmpty { try beforeFallingBack(unusable, id) }
            return completed
        }
        if !unusable.isEmpty {
            throw CheckpointError.incompatible("no usable checkpoint in '\(directory)': " + unusable.map(\.reason).joined(separator: "; "))
        }
        return nil
    }

    /// A completed checkpoint that cannot be restored, and why.
    @usableFromInline struct UnusableCheckpoint: Sendable {
        @usableFromInline let checkpointID: Int64
        @usableFromInline let reason: String
    }

    /// The state files of `operatorID` in a completed checkpoint, verified and decoded.
    @usableFromInline func readStates(of operatorID: String, in checkpoint: Completed) throws -> [OperatorStateFile] {
        try checkpoint.metadata.files.filter { $0.operatorID == operatorID }.map { file in
            let path = checkpoint.path + "/" + file.name
            let bytes = try readFile(path)
            guard CRC32C.checksum(bytes) == file.checksum else {
                throw CheckpointError.corruptFile(path: path, reason: "checksum differs from the checkpoint's metadata")
            }
            return try CheckpointFileFormat.decode(OperatorStateFile.self, kind: .operatorState, from: bytes, path: path)
        }
    }

    @usableFromInline func readFile(_ path: String) throws -> [UInt8] {
        do { return try DurableFile.read(path) } catch {
            throw CheckpointError.corruptFile(path: path, reason: "\(error)")
        }
    }
}
