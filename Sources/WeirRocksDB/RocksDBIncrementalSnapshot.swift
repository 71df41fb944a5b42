import CRocksDB
import Foundation
import Weir

/// The SST files one instance has uploaded, by local name: what its next incremental
/// checkpoint references instead of uploading again. Replaced after every persisted checkpoint
/// (the checkpoint writer persists them one after another).
final class RocksDBUploadedFiles: @unchecked Sendable {
    /// Names the instance's files in the shared area (`<instanceID>/<sst>`), unique per open instance.
    let instanceID = UUID().uuidString.lowercased()
    private let lock = NSLock()
    private var files: [String: SharedStateFile] = [:]

    var current: [String: SharedStateFile] { lock.withLock { files } }

    func replace(with uploaded: [String: SharedStateFile]) { lock.withLock { files = uploaded } }
}

/// An instance's files at a barrier: a RocksDB checkpoint (hard links of the live SST files
/// and copies of the small ones) in a directory of its own, uploaded off the task thread and
/// deleted once the last reference is gone.
final class RocksDBIncrementalSnapshot: NativeKeyedStateSnapshot, @unchecked Sendable {
    let directory: String
    let keyGroups: KeyGroupRange
    let tables: [String: Int]
    let uploaded: RocksDBUploadedFiles
    /// Keeps the instance open while its files are read.
    let instance: RocksDBInstance

    /// Takes the checkpoint: flushes the memtable (the part the task waits for) and links the files.
    init(instance: RocksDBInstance, directory: String, keyGroups: KeyGroupRange, tables: [String: Int], uploaded: RocksDBUploadedFiles) throws {
        self.instance = instance
        self.directory = directory
        self.keyGroups = keyGroups
        self.tables = tables
        self.uploaded = uploaded
        try instance.checkpoint(into: directory)
    }

    func persist(checkpointID: Int64, to files: SharedStateFiles) throws -> NativeKeyedStateHandle {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw RocksDBError(operation: "listing the checkpoint directory \(directory)", message: "\(error)")
        }
        let before = uploaded.current
        var shared: [String: SharedStateFile] = [:]
        var privateFiles: [PrivateStateFile] = []
        for name in names {
            let path = directory + "/" + name
            if name.hasSuffix(".sst") {
                // An SST file never changes once written: one upload per file and instance.
                shared[name] = try before[name] ?? files.upload(localPath: path, as: "\(uploaded.instanceID)/\(name)", localName: name, checkpointID: checkpointID)
            } else {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw RocksDBError(operation: "reading \(path) of a checkpoint", message: "cannot read the file")
                }
                privateFiles.append(PrivateStateFile(localName: name, bytes: Array(bytes)))
            }
        }
        uploaded.replace(with: shared)
        return NativeKeyedStateHandle(format: RocksDBIncrementalSnapshot.format, keyGroups: keyGroups, tables: tables,
                                      sharedFiles: shared.values.sorted { $0.localName < $1.localName }, privateFiles: privateFiles)
    }

    /// The format name in checkpoints (and the `--state-backend` value that reads it).
    static let format = "rocksdb"

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}
