import Weir

/// A task's checkpoint storage as a worker uses it: every step that makes a checkpoint count
/// (begin, the metadata write that completes it, the ownership check before a restart) first
/// checks the worker's lease, so that a worker woken from a long pause does not complete a
/// checkpoint — and then commit its transactions — for a task that has moved on.
struct LeasedCheckpointStorage: CheckpointStorage {
    let storage: any CheckpointStorage
    let lease: WorkerLease

    var location: String { storage.location }

    func claim(resuming: Bool) throws {
        try lease.check()
        try storage.claim(resuming: resuming)
    }

    func checkStillOwned() throws {
        try lease.check()
        try storage.checkStillOwned()
    }

    func beginCheckpoint(_ checkpointID: Int64) throws {
        try lease.check()
        try storage.beginCheckpoint(checkpointID)
    }

    func writeStateFile(_ bytes: [UInt8], name: String, checkpointID: Int64) throws {
        try storage.writeStateFile(bytes, name: name, checkpointID: checkpointID)
    }

    func completeCheckpoint(_ checkpointID: Int64, metadata: [UInt8]) throws {
        try lease.check()
        try storage.completeCheckpoint(checkpointID, metadata: metadata)
    }

    func abortCheckpoint(_ checkpointID: Int64) { storage.abortCheckpoint(checkpointID) }

    func discard(_ checkpoint: StoredCheckpoint) { storage.discard(checkpoint) }

    func storedCheckpoints() throws -> [StoredCheckpoint] { try storage.storedCheckpoints() }

    func read(_ name: String, of checkpoint: StoredCheckpoint) throws -> [UInt8] { try storage.read(name, of: checkpoint) }

    func writeSharedFile(_ bytes: [UInt8], name: String) throws { try storage.writeSharedFile(bytes, name: name) }

    func readSharedFile(_ name: String) throws -> [UInt8] { try storage.readSharedFile(name) }

    func deleteSharedFile(_ name: String) { storage.deleteSharedFile(name) }

    func sharedFileNames() throws -> [String] { try storage.sharedFileNames() }
}
