/// The contents of one operator subtask's state file `chk-<n>/<operator>-<subtask>.state`.
///
/// Keyed state is stored per key group so that a job restored with another parallelism can
/// hand each new subtask exactly the key groups it owns; operator state (source positions) is
/// a list of independent splits, dealt round-robin to the new subtasks.
@usableFromInline struct OperatorStateFile: Codable, Sendable {
    @usableFromInline var operatorID: String
    @usableFromInline var subtask: Int
    @usableFromInline var parallelism: Int
    @usableFromInline var maxParallelism: Int
    /// Keyed parts (state tables, timers) by name: their entries per key group.
    @usableFromInline var keyed: [String: [KeyGroupBlob]]
    /// Operator state: independent splits (e.g. source positions).
    @usableFromInline var splits: [[UInt8]]
}

/// The encoded entries of one key group of one keyed part of an operator's state.
public struct KeyGroupBlob: Codable, Sendable {
    @usableFromInline init(keyGroup: Int, bytes: [UInt8]) { self.keyGroup = keyGroup; self.bytes = bytes }
    /// The key group the entries belong to.
    public var keyGroup: Int
    /// The entries, in Weir's binary state encoding.
    public var bytes: [UInt8]
}

/// `chk-<n>/_metadata`: written last, atomically and durably. A checkpoint directory without
/// a valid `_metadata` is not a checkpoint.
public struct CheckpointMetadata: Codable, Sendable {
    /// One subtask's state file of the checkpoint.
    public struct StateFile: Codable, Sendable, Hashable {
        /// The file's name in the checkpoint directory.
        public var name: String
        /// The operator whose state it holds (stable across runs of the same job graph).
        public var operatorID: String
        /// The subtask that wrote it.
        public var subtask: Int
        /// Its size in bytes.
        public var size: Int
        /// Its CRC-32C, checked before a restore reads it.
        public var checksum: UInt32
    }

    /// An operator of the checkpointed job and the parallelism it ran with.
    public struct Operator: Codable, Sendable, Hashable {
        /// The operator's stable id.
        public var operatorID: String
        /// Its parallelism when the checkpoint was taken.
        public var parallelism: Int
    }

    /// The checkpoint's id, rising within a job's checkpoint directory.
    public var checkpointID: Int64
    /// The job that took it; another job's checkpoints are refused.
    public var jobName: String
    /// Wall-clock time of the trigger, ms since the epoch.
    public var triggeredAt: Int64
    /// Trigger to all acknowledgements, ms.
    public var durationMilliseconds: Int64
    /// The job's number of key groups (keyed state can be restored at any parallelism up to it).
    public var maxParallelism: Int
    /// Taken when the sources were exhausted, at the end of the job.
    public var isFinal: Bool
    /// The operators of the job graph.
    public var operators: [Operator]
    /// Every state file of the checkpoint.
    public var files: [StateFile]

    /// Sum of the state files' sizes.
    public var stateSize: Int { files.reduce(0) { $0 + $1.size } }
}

/// The frame around every checkpoint file: magic, version, kind, payload length, payload
/// (``BinaryStateEncoder``), CRC-32C of everything before it.
///
/// ```
/// offset  size  field
/// 0       8     magic "WEIRCKPT"
/// 8       2     format version (little-endian), currently 1
/// 10      1     kind: 1 operator state, 2 metadata
/// 11      8     payload length n (little-endian)
/// 19      n     payload
/// 19+n    4     CRC-32C of bytes 0..<19+n (little-endian)
/// ```
@usableFromInline enum CheckpointFileFormat {
    @usableFromInline static let magic = Array("WEIRCKPT".utf8)
    @usableFromInline static let version: UInt16 = 1

    @usableFromInline enum Kind: UInt8 {
        case operatorState = 1
        case metadata = 2
    }

    @usableFromInline static func encode<T: Encodable>(_ value: T, kind: Kind) throws -> [UInt8] {
        let payload = try BinaryStateEncoder().encode(value)
        var bytes = magic
        bytes += Primitive.bytes(version)
        bytes.append(kind.rawValue)
        bytes += Primitive.bytes(UInt64(payload.count))
        bytes += payload
        bytes += Primitive.bytes(CRC32C.checksum(bytes))
        return bytes
    }

    /// Decodes a file, verifying its frame and checksum; errors name `path`.
    @usableFromInline static func decode<T: Decodable>(_ type: T.Type, kind: Kind, from bytes: [UInt8], path: String) throws -> T {
        guard bytes.count >= 23, Array(bytes[0..<8]) == magic else {
            throw CheckpointError.corruptFile(path: path, reason: "not a Weir checkpoint file (bad magic or too short)")
        }
        var reader = ByteReader(bytes: bytes[8...])
        let version = try reader.integer(UInt16.self)
        guard version == self.version else {
            throw CheckpointError.corruptFile(path: path, reason: "format version \(version), this Weir reads version \(self.version)")
        }
        guard try reader.byte() == kind.rawValue else { throw CheckpointError.corruptFile(path: path, reason: "not a \(kind) file") }
        let length = try reader.integer(UInt64.self)
        guard length == UInt64(bytes.count - 23) else {
            throw CheckpointError.corruptFile(path: path, reason: "payload length \(length) does not match the file size \(bytes.count)")
        }
        let stored = UInt32(littleEndian: bytes[(bytes.count - 4)...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let computed = CRC32C.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else {
            throw CheckpointError.corruptFile(path: path, reason: "checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))")
        }
        do {
            return try BinaryStateDecoder().decode(T.self, from: bytes[19..<(bytes.count - 4)])
        } catch {
            throw CheckpointError.corruptFile(path: path, reason: "\(error)")
        }
    }
}

/// Errors of checkpointing and restoring.
public enum CheckpointError: Error, CustomStringConvertible {
    /// A checkpoint file fails its checksum or cannot be decoded.
    case corruptFile(path: String, reason: String)
    /// The storage could not read, write, rename or sync a file or directory.
    case storage(path: String, reason: String)
    /// The checkpoint cannot be restored into this job (another job's, another format version,
    /// or operators that do not match).
    case incompatible(String)
    /// The job uses something that cannot take part in checkpoints (a source or sink without
    /// the needed methods).
    case unsupported(String)
    /// Another run of the job claimed the checkpoint directory after this one started: this
    /// run is a zombie (it was paused, or its host was thought dead) and must not complete
    /// checkpoints — completing one would commit its sinks' transactions a second time.
    case superseded(path: String, by: String)
    /// More checkpoints failed in a row than tolerated (a full disk, a slow store): the job fails
    /// over — the restart strategy restarts it from the latest completed checkpoint.
    case tooManyFailures(path: String, reason: String)
    /// The latest completed checkpoint is unusable and restoring an older one would replay
    /// input whose results these sinks may already have committed (they would appear twice).
    case unsafeFallback(directory: String, unusable: [Int64], reasons: [String], older: Int64, sinks: [String])

    /// A message that names the file or operator and what to do.
    public var description: String {
        switch self {
        case let .corruptFile(path, reason): return "checkpoint file '\(path)' is damaged: \(reason)"
        case let .storage(path, reason): return "checkpoint storage '\(path)': \(reason)"
        case .incompatible(let message): return "cannot restore: \(message)"
        case .unsupported(let message): return message
        case let .superseded(path, owner): return "another run of this job (\(owner)) took over the checkpoint directory '\(path)'; this run stops without completing checkpoints"
        case let .tooManyFailures(path, reason): return "checkpoints in '\(path)' keep failing: \(reason)"
        case let .unsafeFallback(directory, unusable, reasons, older, sinks):
            let names = unusable.map { "checkpoint \($0)" }.joined(separator: ", ")
            return "\(names) in '\(directory)' \(unusable.count == 1 ? "is" : "are") not usable (\(reasons.joined(separator: "; "))); "
                + "restoring the older checkpoint \(older) would replay input whose results the sink\(sinks.count == 1 ? "" : "s") "
                + sinks.map { "'\($0)'" }.joined(separator: ", ") + " may already have committed, so they would appear twice. "
                + "Repair or restore the newer checkpoint from a backup, or accept duplicates explicitly: "
                + "CheckpointConfiguration.unusableLatestCheckpoint = .restoreOlderAcceptingDuplicates (weir run: --accept-duplicates)"
        }
    }
}
