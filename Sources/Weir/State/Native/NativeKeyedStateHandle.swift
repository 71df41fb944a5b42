/// Keyed state that a backend checkpoints in its own files instead of per key group: WeirRocksDB's
/// incremental checkpoints, whose SST files are uploaded once and referenced by every later
/// checkpoint that still holds them.
///
/// Stored in the subtask's state file. Only a backend that understands ``format`` restores it
/// (the heap backend refuses it with an error that says so); at another parallelism a subtask
/// reads the key groups it owns out of every handle whose ``keyGroups`` overlap its own.
public struct NativeKeyedStateHandle: Codable, Sendable {
    /// The backend's format (`rocksdb`), checked before a restore.
    public var format: String
    /// The key groups the files hold.
    public var keyGroups: KeyGroupRange
    /// The backend's number for each state table in the files, by table name.
    public var tables: [String: Int]
    /// Large immutable files, in the storage's shared area: uploaded by the first checkpoint
    /// that held them, referenced by later ones.
    public var sharedFiles: [SharedStateFile]
    /// Small files of this checkpoint only (RocksDB's MANIFEST, CURRENT, OPTIONS), inline.
    public var privateFiles: [PrivateStateFile]
    /// The version of ``BinaryStateEncoder``'s format the files' keys and values are in;
    /// absent (`nil`) in handles of the first format, whose keys a backend cannot look up with
    /// today's encoding.
    public var stateFormat: Int?

    /// The state format ``BinaryStateEncoder`` writes: 2, field ids and varints (1 was names
    /// and fixed-width lengths).
    public static let currentStateFormat = 2

    /// A handle of `format` for `keyGroups`, with its tables and files, in `stateFormat`.
    public init(format: String, keyGroups: KeyGroupRange, tables: [String: Int], sharedFiles: [SharedStateFile], privateFiles: [PrivateStateFile],
                stateFormat: Int? = NativeKeyedStateHandle.currentStateFormat) {
        self.format = format
        self.keyGroups = keyGroups
        self.tables = tables
        self.sharedFiles = sharedFiles
        self.privateFiles = privateFiles
        self.stateFormat = stateFormat
    }
}

/// One file in a checkpoint storage's shared area, as a checkpoint references it.
public struct SharedStateFile: Codable, Sendable, Hashable {
    /// Its name in the shared area (`<instance>/<file>`): unique per backend instance and file.
    public var name: String
    /// Its name in the backend's local directory.
    public var localName: String
    /// Its size in bytes.
    public var size: Int
    /// Its CRC-32C, checked when it is read back.
    public var checksum: UInt32
    /// The checkpoint that uploaded it (the checkpoints after it only reference it).
    public var uploadedBy: Int64

    /// A shared file `name` (locally `localName`) of `size` bytes with its checksum, uploaded by
    /// checkpoint `uploadedBy`.
    public init(name: String, localName: String, size: Int, checksum: UInt32, uploadedBy: Int64) {
        self.name = name
        self.localName = localName
        self.size = size
        self.checksum = checksum
        self.uploadedBy = uploadedBy
    }
}

/// A small file that belongs to one checkpoint only, kept inline in its state file.
public struct PrivateStateFile: Codable, Sendable {
    /// Its name in the backend's local directory.
    public var localName: String
    /// Its bytes.
    public var bytes: [UInt8]

    /// The file `localName` with `bytes`.
    public init(localName: String, bytes: [UInt8]) {
        self.localName = localName
        self.bytes = bytes
    }
}
