import Weir

/// Writes rows to objects in an S3-compatible bucket, exactly once: each checkpoint interval of
/// each subtask is a multipart upload that stays invisible until its checkpoint completes.
///
/// Rows are encoded into a buffer; every `multipartPartSize` bytes (default 8 MiB, S3's minimum
/// part is 5 MiB) go up as a part of the object's multipart upload. At the barrier the rest goes
/// up as the last part (pre-commit: durable in the bucket, invisible); when the checkpoint
/// completes, `CompleteMultipartUpload` makes the object appear, whole (commit; again after a
/// crash: an upload already completed is recognized by its object). An object is
/// `<prefix>/<namePrefix>-<subtask>-<checkpoint>-<part><suffix>` — the same name in every run,
/// so that a restore of an older checkpoint deletes what was committed for later ones before
/// their input is replayed (``replay`` is `.replaces`).
///
/// Uploads that no checkpoint names (a crash between a part and the next checkpoint) are never
/// completed, so never visible; S3 keeps their parts until a lifecycle rule
/// (`AbortIncompleteMultipartUpload`) removes them, rclone until `--multipart-expiry`. Set that
/// expiry well above the longest a job may stay down, or pre-committed uploads expire before a
/// restore can complete them (the restore then fails naming the lost transaction).
public struct S3FileSink<Input: Sendable>: TwoPhaseCommitSink {
    /// The bucket.
    public let configuration: S3Configuration
    /// Where the objects go: a key prefix without a trailing `/` (`output/clicks`).
    public let prefix: String
    /// How a value becomes a line.
    public let encoder: RowEncoder<Input>
    /// First part of every object's name. Default `part`.
    public var namePrefix = "part"
    /// The name's extension. Default `.txt`.
    public var suffix = ".txt"
    /// An object rolls over to the next one when it reaches this size. Default 1 GiB.
    public var rollingSizeBytes = 1 << 30

    /// A sink that writes objects under `prefix` in `configuration`'s bucket.
    public init(configuration: S3Configuration, prefix: String, encoder: RowEncoder<Input>) {
        self.configuration = configuration
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.prefix = trimmed
        self.encoder = encoder
    }

    /// The objects of one checkpoint interval of one subtask, each a multipart upload.
    public struct Transaction: Codable, Sendable, Hashable {
        /// One object of the transaction.
        public struct Part: Codable, Sendable, Hashable {
            /// The object's key.
            public var key: String
            /// Its multipart upload.
            public var uploadID: String
            /// The ETags of the parts uploaded, in order; complete once pre-committed.
            public var etags: [String]
        }

        /// The checkpoint whose barrier pre-commits the transaction.
        public var checkpointID: Int64
        /// The objects written, in order.
        public var parts: [Part]
    }

    /// The writer of one subtask.
    public func makeWriter(_ context: SinkContext) throws -> S3FileSinkWriter<Input> {
        S3FileSinkWriter(sink: self, subtask: context.subtask)
    }

    /// A restore of an older checkpoint deletes the objects committed for later ones.
    public var replay: SinkReplay { .replaces }

    /// `<namePrefix>-<subtask>-<checkpoint>-<part><suffix>`.
    func objectName(subtask: Int, checkpointID: Int64, part: Int) -> String {
        "\(namePrefix)-\(subtask)-\(checkpointID)-\(part)\(suffix)"
    }

    func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }
}
