import Foundation

/// Checkpoints in a directory of the file system (the default storage):
///
/// ```
/// <directory>/
///   chk-<n>/
///     <operator>-<subtask>.state   one per operator subtask that has state (CheckpointFileFormat)
///     _metadata                    written last: temp file, fsync, rename, fsync directory
///   shared/<instance>/<file>       incremental checkpoints' files (RocksDB SSTs), each
///                                  referenced by every checkpoint that holds it
///   _owner                         the run that writes checkpoints here now
/// ```
///
/// A `chk-<n>` without `_metadata` is an incomplete checkpoint and is deleted when a run claims
/// the directory.
///
/// A run claims the directory when it starts (`_owner`), and completes a checkpoint only while
/// the claim is still its own: a newer run of the job — started because this one was thought
/// dead — fences it, as a Kafka producer's epoch fences an older producer. (The check and the
/// rename are two steps; on one machine's file system the window between them is what a
/// paused process can slip through, which the sinks' own fencing — Kafka's producer epochs,
/// PostgreSQL's prepared transactions — then contains.)
public struct FileCheckpointStorage: CheckpointStorage {
    /// The directory.
    public let directory: String
    /// This run: host, process and a random part.
    public let owner: String

    /// Checkpoints in `directory` (created if missing), claimed by this process.
    public init(directory: String) {
        self.init(directory: directory, owner: Self.newOwner())
    }

    @usableFromInline init(directory: String, owner: String) {
        self.directory = directory
        self.owner = owner
    }

    @usableFromInline static func newOwner() -> String {
        "\(ProcessInfo.processInfo.hostName) pid \(getpid()) run \(UUID().uuidString.prefix(8))"
    }

    public var location: String { directory }

    /// The directory `path` under this one, claimed by this process anew.
    public func nested(_ path: String) -> (any CheckpointStorage)? { FileCheckpointStorage(directory: directory + "/" + path) }

    @usableFromInline var ownerPath: String { directory + "/_owner" }

    @usableFromInline func checkpointPath(_ checkpointID: Int64) -> String { "\(directory)/chk-\(checkpointID)" }

    /// Creates the directory if needed, deletes incomplete checkpoints, and writes `_owner`.
    /// (`resuming` changes nothing here: a fresh run's environment deletes the earlier
    /// checkpoints before it claims.)
    public func claim(resuming: Bool) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot create the checkpoint directory: \(error.localizedDescription)")
        }
        for checkpoint in try storedCheckpoints() where !checkpoint.isComplete {
            try? FileManager.default.removeItem(atPath: checkpoint.reference)
        }
        do { try DurableFile.write(Array(owner.utf8), to: ownerPath) } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot claim the checkpoint directory: \(error)")
        }
    }

    public func checkStillOwned() throws {
        guard let bytes = try? DurableFile.read(ownerPath) else { return }
        let current = String(decoding: bytes, as: UTF8.self)
        if current != owner { throw CheckpointError.superseded(path: directory, by: current) }
    }

    public func beginCheckpoint(_ checkpointID: Int64) throws {
        let path = checkpointPath(checkpointID)
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.storage(path: path, reason: "cannot create: \(error.localizedDescription)")
        }
    }

    /// Writes and fsyncs the file; the directory fsync before the metadata makes it durable as a whole.
    public func writeStateFile(_ bytes: [UInt8], name: String, checkpointID: Int64) throws {
        let path = checkpointPath(checkpointID) + "/" + name
        do { try DurableFile.writeAndSync(bytes, to: path) } catch {
            throw CheckpointError.storage(path: path, reason: "\(error)")
        }
    }

    /// Fsyncs the checkpoint's directory, then writes `_metadata` atomically and fsyncs the parent.
    public func completeCheckpoint(_ checkpointID: Int64, metadata: [UInt8]) throws {
        try checkStillOwned()
        let path = checkpointPath(checkpointID)
        try DurableFile.syncDirectory(path)
        try DurableFile.write(metadata, to: path + "/" + StoredCheckpoint.metadataName)
        try DurableFile.syncDirectory(directory)
    }

    public func abortCheckpoint(_ checkpointID: Int64) {
        try? FileManager.default.removeItem(atPath: checkpointPath(checkpointID))
    }

    public func discard(_ checkpoint: StoredCheckpoint) {
        try? FileManager.default.removeItem(atPath: checkpoint.reference)
    }

    /// `chk-<n>` directories, newest first.
    public func storedCheckpoints() throws -> [StoredCheckpoint] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw CheckpointError.storage(path: directory, reason: "cannot list: \(error.localizedDescription)")
        }
        return names.compactMap { name -> StoredCheckpoint? in
            guard name.hasPrefix("chk-"), let id = Int64(name.dropFirst(4)) else { return nil }
            let path = "\(directory)/\(name)"
            let complete = FileManager.default.fileExists(atPath: path + "/" + StoredCheckpoint.metadataName)
            return StoredCheckpoint(checkpointID: id, location: path, isComplete: complete, reference: path)
        }.sorted { $0.checkpointID > $1.checkpointID }
    }

    public func read(_ name: String, of checkpoint: StoredCheckpoint) throws -> [UInt8] {
        let path = checkpoint.reference + "/" + name
        do { return try DurableFile.read(path) } catch {
            throw CheckpointError.corruptFile(path: path, reason: "\(error)")
        }
    }

    // MARK: Shared files

    @usableFromInline var sharedDirectory: String { directory + "/shared" }

    /// Writes the file (temporary file, fsync, rename, fsync of its directory).
    public func writeSharedFile(_ bytes: [UInt8], name: String) throws {
        let path = sharedDirectory + "/" + name
        do {
            let parent = (path as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: parent) {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                try DurableFile.syncDirectory(sharedDirectory)
            }
            try DurableFile.write(bytes, to: path)
        } catch {
            throw CheckpointError.storage(path: path, reason: "\(error)")
        }
    }

    public func readSharedFile(_ name: String) throws -> [UInt8] {
        let path = sharedDirectory + "/" + name
        do { return try DurableFile.read(path) } catch {
            throw CheckpointError.corruptFile(path: path, reason: "\(error)")
        }
    }

    public func deleteSharedFile(_ name: String) {
        let path = sharedDirectory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        let parent = (path as NSString).deletingLastPathComponent
        if (try? FileManager.default.contentsOfDirectory(atPath: parent))?.isEmpty == true { try? FileManager.default.removeItem(atPath: parent) }
    }

    /// `<instance>/<file>` for every file under `shared/` (temporary files of interrupted writes included).
    public func sharedFileNames() throws -> [String] {
        guard let instances = try? FileManager.default.contentsOfDirectory(atPath: sharedDirectory) else { return [] }
        return instances.flatMap { instance in
            ((try? FileManager.default.contentsOfDirectory(atPath: sharedDirectory + "/" + instance)) ?? []).map { instance + "/" + $0 }
        }
    }
}
