import Weir

/// One subtask's writer of an ``S3FileSink``. Parts are uploaded on the task thread as the
/// buffer fills (a part every `multipartPartSize` bytes), so the task waits for each upload —
/// as the file sink waits for its writes.
public final class S3FileSinkWriter<Input: Sendable>: TwoPhaseCommitWriter {
    /// The sink's transaction: the objects of one checkpoint interval.
    public typealias Transaction = S3FileSink<Input>.Transaction

    let sink: S3FileSink<Input>
    let subtask: Int
    let client: S3Client
    /// Rows of the open object not uploaded yet.
    var buffer: [UInt8] = []
    /// Bytes of the open object so far (uploaded and buffered).
    var bytesInObject = 0
    /// Whether the transaction's last part is open for writing.
    var isOpen = false

    init(sink: S3FileSink<Input>, subtask: Int) {
        self.sink = sink
        self.subtask = subtask
        self.client = S3Client(sink.configuration)
        buffer.reserveCapacity(sink.configuration.multipartPartSize + (1 << 16))
    }

    /// The objects of the interval before checkpoint `checkpointID`; none until a row comes.
    public func beginTransaction(checkpointID: Int64) throws -> Transaction {
        Transaction(checkpointID: checkpointID, parts: [])
    }

    /// Appends the row; uploads a part once the buffer holds `multipartPartSize` bytes.
    public func write(_ value: Input, timestamp: Int64, to transaction: inout Transaction) throws {
        if !isOpen { try openObject(in: &transaction) }
        let before = buffer.count
        sink.encoder.append(value, to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
        bytesInObject += buffer.count - before
        if bytesInObject >= sink.rollingSizeBytes {
            try closeObject(in: &transaction)
        } else if buffer.count >= sink.configuration.multipartPartSize {
            try uploadBuffer(of: &transaction)
        }
    }

    /// Uploads the rest as the open object's last part: every part is in the bucket, no object visible.
    public func preCommit(_ transaction: inout Transaction) throws {
        if isOpen { try closeObject(in: &transaction) }
    }

    /// Completes each object's upload; an upload completed before (a crash after the commit)
    /// is recognized by its object.
    public func commit(_ transaction: Transaction) throws {
        for part in transaction.parts {
            do {
                try client.completeMultipartUpload(part.key, uploadID: part.uploadID, parts: part.etags)
            } catch let error as S3Error where error.code == "NoSuchUpload" || error.isNotFound {
                if try client.objectExists(part.key) { continue }
                throw TwoPhaseCommitError.lostTransaction(
                    "the upload of s3://\(sink.configuration.bucket)/\(part.key) (checkpoint \(transaction.checkpointID), subtask \(subtask)) is gone and no object was completed from it: "
                        + "aborted, or expired by the server (S3: a lifecycle rule AbortIncompleteMultipartUpload; rclone: --multipart-expiry) — keep uploads longer than a job may stay down")
            }
        }
    }

    /// Aborts each object's upload (its parts are deleted; nothing was visible).
    public func abort(_ transaction: Transaction) throws {
        if isOpen, transaction.parts.last != nil {
            buffer.removeAll(keepingCapacity: true)
            isOpen = false
        }
        for part in transaction.parts { try client.abortMultipartUpload(part.key, uploadID: part.uploadID) }
    }

    /// Deletes the objects this subtask (and the subtasks of a larger earlier run congruent to
    /// it) committed for checkpoints after `checkpointID`, before their input is replayed.
    public func prepareReplay(after checkpointID: Int64, parallelism: Int) throws {
        let listPrefix = sink.key(sink.namePrefix + "-")
        for object in try client.listObjects(prefix: listPrefix) {
            let name = object.key.dropFirst(listPrefix.count)
            guard name.hasSuffix(sink.suffix) else { continue }
            let fields = name.dropLast(sink.suffix.count).split(separator: "-")
            guard fields.count == 3, let owner = Int(fields[0]), let checkpoint = Int64(fields[1]), Int(fields[2]) != nil,
                  owner % parallelism == subtask, checkpoint > checkpointID else { continue }
            try client.deleteObject(object.key)
        }
    }

    func openObject(in transaction: inout Transaction) throws {
        let key = sink.key(sink.objectName(subtask: subtask, checkpointID: transaction.checkpointID, part: transaction.parts.count))
        let uploadID = try client.createMultipartUpload(key)
        transaction.parts.append(.init(key: key, uploadID: uploadID, etags: []))
        isOpen = true
        bytesInObject = 0
        if let header = sink.encoder.header {
            buffer.append(contentsOf: header.utf8)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    func uploadBuffer(of transaction: inout Transaction) throws {
        var part = transaction.parts[transaction.parts.count - 1]
        part.etags.append(try client.uploadPart(part.key, uploadID: part.uploadID, number: part.etags.count + 1, buffer[...]))
        transaction.parts[transaction.parts.count - 1] = part
        buffer.removeAll(keepingCapacity: true)
    }

    func closeObject(in transaction: inout Transaction) throws {
        if !buffer.isEmpty || transaction.parts.last?.etags.isEmpty == true { try uploadBuffer(of: &transaction) }
        isOpen = false
    }
}
