import Foundation

/// The shared area of the job's checkpoint storage as a backend sees it: files uploaded once,
/// verified by size and CRC-32C when read back. Which files a checkpoint references is in its
/// metadata; the engine deletes a shared file only when no retained checkpoint references it.
public struct SharedStateFiles: Sendable {
    @usableFromInline let storage: any CheckpointStorage

    @usableFromInline init(storage: any CheckpointStorage) { self.storage = storage }

    /// Where the files are, in messages.
    public var location: String { storage.location }

    /// Uploads the local file at `path` as `name`, for checkpoint `checkpointID`.
    public func upload(localPath path: String, as name: String, localName: String, checkpointID: Int64) throws -> SharedStateFile {
        let bytes: [UInt8]
        do { bytes = try DurableFile.read(path) } catch {
            throw CheckpointError.storage(path: path, reason: "cannot read a local state file to upload: \(error)")
        }
        try storage.writeSharedFile(bytes, name: name)
        return SharedStateFile(name: name, localName: localName, size: bytes.count, checksum: CRC32C.checksum(bytes), uploadedBy: checkpointID)
    }

    /// Downloads `file` to the local `path`, verifying its size and checksum.
    /// - Throws: ``CheckpointError/corruptFile(path:reason:)`` if it is missing or damaged.
    public func download(_ file: SharedStateFile, to path: String) throws {
        let bytes = try verifiedBytes(of: file)
        // Local scratch, rebuilt from the checkpoint after a crash: no fsync.
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CheckpointError.storage(path: path, reason: "cannot write a restored state file")
        }
    }

    /// The bytes of `file`, verified.
    func verifiedBytes(of file: SharedStateFile) throws -> [UInt8] {
        let bytes = try storage.readSharedFile(file.name)
        guard bytes.count == file.size, CRC32C.checksum(bytes) == file.checksum else {
            throw CheckpointError.corruptFile(path: storage.location + "/shared/" + file.name,
                                              reason: "size \(bytes.count) or checksum differs from the checkpoint's (\(file.size) bytes)")
        }
        return bytes
    }
}
