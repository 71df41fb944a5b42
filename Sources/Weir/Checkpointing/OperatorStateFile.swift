/// The contents of one operator subtask's state file `chk-<n>/<operator>-<subtask>.state`.
///
/// Keyed state is stored per key group so that a job restored with another parallelism can
/// hand each new subtask exactly the key groups it owns; operator list state is a list of
/// independent entries (a source's splits, a sink's transactions), dealt round-robin to the
/// new subtasks.
@usableFromInline struct OperatorStateFile: Codable, Sendable {
    @usableFromInline var operatorID: String
    @usableFromInline var subtask: Int
    @usableFromInline var parallelism: Int
    @usableFromInline var maxParallelism: Int
    /// Keyed parts (state tables, timers) by name: their entries per key group.
    @usableFromInline var keyed: [String: [KeyGroupBlob]]
    /// Operator list state: independent entries (a source's splits, a sink's transactions).
    @usableFromInline var listState: [[UInt8]]
    /// Keyed state in the backend's own files (an incremental RocksDB checkpoint), if the
    /// backend checkpoints that way; absent from files written without.
    @usableFromInline var native: NativeKeyedStateHandle?

    @usableFromInline init(operatorID: String, subtask: Int, parallelism: Int, maxParallelism: Int, keyed: [String: [KeyGroupBlob]],
                           listState: [[UInt8]], native: NativeKeyedStateHandle? = nil) {
        self.operatorID = operatorID
        self.subtask = subtask
        self.parallelism = parallelism
        self.maxParallelism = maxParallelism
        self.keyed = keyed
        self.listState = listState
        self.native = native
    }

    /// Whether the file would hold nothing (no keyed entries, no list state): not written.
    @usableFromInline var isEmpty: Bool { keyed.values.allSatisfy(\.isEmpty) && listState.isEmpty && native == nil }

    /// The entries' key stays `splits`, the name it had when only sources kept list state:
    /// the format is unchanged.
    @usableFromInline enum CodingKeys: String, CodingKey {
        case operatorID, subtask, parallelism, maxParallelism, keyed, native
        case listState = "splits"
    }
}
