/// What a backend that checkpoints its own files hands the checkpoint writer at a barrier: its
/// files as of the barrier (RocksDB's hard-linked checkpoint directory), persisted off the task
/// thread. Whatever it holds locally is released when the last reference to it goes (also when
/// the checkpoint fails before it is persisted).
public protocol NativeKeyedStateSnapshot: Sendable {
    /// Uploads what `files` does not hold yet and describes the rest; called once, on the
    /// checkpoint writer's thread, for checkpoint `checkpointID`.
    func persist(checkpointID: Int64, to files: SharedStateFiles) throws -> NativeKeyedStateHandle
}
