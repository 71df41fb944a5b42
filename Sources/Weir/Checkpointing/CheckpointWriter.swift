import Dispatch

/// Serializes and writes snapshots off the task threads, then acknowledges them: the task
/// thread only takes copy-on-write copies and goes on with its records.
@usableFromInline final class CheckpointWriter: Sendable {
    @usableFromInline let queue = DispatchQueue(label: "weir.checkpoint-writer")
    @usableFromInline let store: CheckpointStore
    @usableFromInline let coordinator: CheckpointCoordinator

    @usableFromInline init(store: CheckpointStore, coordinator: CheckpointCoordinator) {
        self.store = store
        self.coordinator = coordinator
    }

    @usableFromInline func write(_ snapshots: [OperatorSnapshot], checkpointID: Int64, task: TaskID, timings: CheckpointTaskTimings) {
        queue.async { [store, coordinator] in
            do {
                // Empty parts are left out after serializing: a disk-backed table knows whether it
                // holds entries only by reading them.
                let shared = SharedStateFiles(storage: store.storage)
                let states = try snapshots.map { try $0.serialize(checkpointID: checkpointID, sharedFiles: shared) }.filter { !$0.isEmpty }
                let files = try states.map { try store.writeState($0, checkpointID: checkpointID) }
                coordinator.acknowledge(checkpointID, from: task, .init(files: files, sharedFiles: states.flatMap { $0.native?.sharedFiles ?? [] }, timings: timings))
            } catch {
                coordinator.decline(checkpointID, from: task, reason: "writing its state failed: \(error)")
            }
        }
    }
}
