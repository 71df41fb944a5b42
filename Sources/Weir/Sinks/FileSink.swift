import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `close(2)`, named apart from the writers' own `close()`.
@usableFromInline func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// Writes rows to files in `directory`, exactly once (the default) or at least once.
///
/// Exactly-once: rows go to a temporary part file in the hidden directory
/// `<directory>/.inprogress/`, named `<prefix>-<subtask>-<checkpoint>-<part><suffix>` — the same
/// name in every run, so that a restarted job recognizes its own leftovers. At the checkpoint's
/// barrier the part is flushed, fsynced and closed (pre-commit); when the checkpoint completed
/// it is renamed into `directory` and the directory fsynced (commit). **Only files directly in
/// `directory` are final**; readers must ignore hidden entries. Temporary files no restored
/// checkpoint knows are deleted on start.
///
/// At-least-once: rows go straight to visible files (with a per-run token in their name),
/// flushed and fsynced at each barrier; after a restore the rows since the last checkpoint are
/// written again. For comparison and for sinks where duplicates do not matter.
///
/// A part rolls over to a new file every checkpoint and when it reaches `rollingSizeBytes`.
public struct FileSink<Input: Sendable>: TwoPhaseCommitSink {
    /// Where the part files become visible.
    public let directory: String
    /// How a value becomes a line.
    public let encoder: RowEncoder<Input>
    /// Exactly-once (the default), at-least-once, or none (visible as written, not fsynced at
    /// checkpoints: a crash may lose rows too).
    public let guarantee: DeliveryGuarantee
    /// First part of every file name (use the job's name). Default `part`.
    public var prefix = "part"
    /// File name extension. Default `.txt`.
    public var suffix = ".txt"
    /// A part file rolls over when it reaches this size. Default 128 MiB.
    public var rollingSizeBytes = 128 << 20

    /// A sink that writes part files into `directory`, which it creates.
    public init(directory: String, encoder: RowEncoder<Input>, guarantee: DeliveryGuarantee = .exactlyOnce) {
        self.directory = directory
        self.encoder = encoder
        self.guarantee = guarantee
    }

    /// The files of one checkpoint interval of one subtask: where each is written and where it
    /// becomes visible.
    ///
    /// Paths are relative to ``directory`` (absolute only in checkpoints of older versions), so
    /// that a run's directories can be moved and the job resumed there.
    public struct Transaction: Codable, Sendable, Hashable {
        /// One part file of the transaction.
        public struct Part: Codable, Sendable, Hashable {
            /// Where the part is written, relative to the sink's directory.
            public var temporaryFile: String
            /// Where it becomes visible, relative to the sink's directory.
            public var finalFile: String
        }

        /// The checkpoint whose barrier pre-commits the transaction.
        public var checkpointID: Int64
        /// The part files written, in order.
        public var parts: [Part]
    }

    /// The writer of one subtask.
    public func makeWriter(_ context: SinkContext) throws -> FileSinkWriter<Input> {
        try FileSinkWriter(sink: self, subtask: context.subtask)
    }

    /// Exactly-once parts are named by subtask and checkpoint, and a restore removes the parts
    /// committed for checkpoints after the restored one before their input is replayed: the
    /// output stays exact even when an older checkpoint is restored. At least once: duplicates.
    public var replay: SinkReplay { guarantee == .exactlyOnce ? .replaces : .duplicates }
}

/// One subtask's writer of a ``FileSink``.
public final class FileSinkWriter<Input: Sendable>: TwoPhaseCommitWriter {
    /// The sink's transaction: the part files of one checkpoint interval.
    public typealias Transaction = FileSink<Input>.Transaction

    @usableFromInline let sink: FileSink<Input>
    @usableFromInline let subtask: Int
    @usableFromInline let inProgressDirectory: String
    /// Distinguishes runs in at-least-once file names (their files are never replaced).
    @usableFromInline let runToken = String(UInt32.random(in: .min ... .max), radix: 16)
    @usableFromInline let descriptor = TaskConfined<Int32>(-1)
    /// The file the open part is written to.
    @usableFromInline var currentPath = ""
    @usableFromInline let buffer = TaskConfined<[UInt8]>([])
    @usableFromInline let bytesInPart = TaskConfined<Int>(0)

    @usableFromInline init(sink: FileSink<Input>, subtask: Int) throws {
        self.sink = sink
        self.subtask = subtask
        self.inProgressDirectory = sink.directory + "/.inprogress"
        for path in [sink.directory, inProgressDirectory] {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw SinkError.unwritable(path: path, reason: error.localizedDescription)
            }
        }
        buffer.value.reserveCapacity(1 << 16)
    }

    /// Starts the part files of the interval before checkpoint `checkpointID`.
    public func beginTransaction(checkpointID: Int64) throws -> Transaction {
        Transaction(checkpointID: checkpointID, parts: [])
    }

    /// Per record, so inlined into the job's module (with the encoder's types) and free of
    /// runtime exclusivity checks (its buffers are `TaskConfined`).
    @inlinable
    public func write(_ value: Input, timestamp: Int64, to transaction: inout Transaction) throws {
        if descriptor.value < 0 { try openPart(of: &transaction) }
        let before = buffer.value.count
        sink.encoder.append(value, &buffer.value)
        buffer.value.append(UInt8(ascii: "\n"))
        bytesInPart.value += buffer.value.count - before
        if buffer.value.count >= 1 << 16 { try flushBuffer() }
        if bytesInPart.value >= sink.rollingSizeBytes { try closePart() }
    }

    /// Flushes and syncs the open part: durable, still invisible.
    public func preCommit(_ transaction: inout Transaction) throws {
        if descriptor.value >= 0 { try closePart() }
    }

    /// Where a part's file is now: `file` relative to the sink's directory (or absolute, from an
    /// older checkpoint).
    @usableFromInline func path(_ file: String) -> String { file.hasPrefix("/") ? file : sink.directory + "/" + file }

    /// Renames the parts to their final names and syncs the directory; a part already renamed is skipped.
    public func commit(_ transaction: Transaction) throws {
        guard sink.guarantee == .exactlyOnce else { return }
        for part in transaction.parts {
            let (temporary, final) = (path(part.temporaryFile), path(part.finalFile))
            if rename(temporary, final) == 0 { continue }
            let failure = errno
            // Idempotent: renamed by an earlier commit (before a crash) is success.
            if failure == ENOENT && FileManager.default.fileExists(atPath: final) { continue }
            if failure == ENOENT {
                throw TwoPhaseCommitError.lostTransaction("neither '\(temporary)' nor '\(final)' exists (checkpoint \(transaction.checkpointID), subtask \(subtask)); its rows are lost")
            }
            throw SinkError.unwritable(path: final, reason: String(cString: strerror(failure)))
        }
        if !transaction.parts.isEmpty { try DurableFile.syncDirectory(sink.directory) }
    }

    /// Deletes the parts' temporary files.
    public func abort(_ transaction: Transaction) throws {
        if descriptor.value >= 0, transaction.parts.last.map({ path($0.temporaryFile) == currentPath }) ?? false {
            closeDescriptor(descriptor.value)
            descriptor.value = -1
            buffer.value.removeAll(keepingCapacity: true)
        }
        guard sink.guarantee == .exactlyOnce else { return }
        for part in transaction.parts where unlink(path(part.temporaryFile)) != 0 && errno != ENOENT {
            throw SinkError.unwritable(path: path(part.temporaryFile), reason: String(cString: strerror(errno)))
        }
    }

    /// Removes the parts this subtask (and the subtasks of a larger earlier run congruent to it)
    /// committed for checkpoints after `checkpointID`: the restore replays their input, and the
    /// replay commits its rows again — perhaps split differently between checkpoints, so
    /// overwriting by name alone would not do. Nothing to remove after a restore of the latest
    /// checkpoint (nothing is committed before its checkpoint completes).
    public func prepareReplay(after checkpointID: Int64, parallelism: Int) throws {
        guard sink.guarantee == .exactlyOnce else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sink.directory)) ?? []
        for name in names where name.hasPrefix(sink.prefix + "-") && name.hasSuffix(sink.suffix) && !name.hasPrefix(".") {
            let fields = name.dropFirst(sink.prefix.count + 1).dropLast(sink.suffix.count).split(separator: "-")
            guard fields.count == 3, let owner = Int(fields[0]), let checkpoint = Int64(fields[1]), Int(fields[2]) != nil,
                  owner % parallelism == subtask, checkpoint > checkpointID else { continue }
            let file = sink.directory + "/" + name
            guard unlink(file) == 0 || errno == ENOENT else { throw SinkError.unwritable(path: file, reason: String(cString: strerror(errno))) }
        }
        try DurableFile.syncDirectory(sink.directory)
    }

    /// Deletes temporary files of this subtask that no restored transaction names (an earlier run's open parts).
    public func abortLingeringTransactions(known: [Transaction], parallelism: Int) throws {
        guard sink.guarantee == .exactlyOnce else { return }
        let knownPaths = Set(known.flatMap { $0.parts.map { path($0.temporaryFile) } })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: inProgressDirectory)) ?? []
        for name in names {
            // `<prefix>-<subtask>-<checkpoint>-<part><suffix>.inprogress`; this subtask owns the
            // subtask numbers congruent to its own (so that leftovers of a higher parallelism
            // are cleaned too, each by exactly one subtask).
            guard name.hasPrefix(sink.prefix + "-"), name.hasSuffix(".inprogress") else { continue }
            let fields = name.dropFirst(sink.prefix.count + 1).split(separator: "-")
            guard fields.count >= 3, let owner = Int(fields[0]), owner % parallelism == subtask else { continue }
            let path = inProgressDirectory + "/" + name
            if !knownPaths.contains(path) { unlink(path) }
        }
    }

    /// Closes the open part file.
    public func close() {
        if descriptor.value >= 0 { closeDescriptor(descriptor.value) }
        descriptor.value = -1
    }

    // MARK: - Part files

    @usableFromInline func openPart(of transaction: inout Transaction) throws {
        let name = "\(sink.prefix)-\(subtask)-\(transaction.checkpointID)-\(transaction.parts.count)"
        let part: Transaction.Part
        switch sink.guarantee {
        case .exactlyOnce:
            part = .init(temporaryFile: ".inprogress/\(name)\(sink.suffix).inprogress", finalFile: "\(name)\(sink.suffix)")
        case .atLeastOnce, .none:
            let file = "\(name)-\(runToken)\(sink.suffix)"
            part = .init(temporaryFile: file, finalFile: file)
        }
        currentPath = path(part.temporaryFile)
        descriptor.value = open(currentPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor.value >= 0 else { throw SinkError.unwritable(path: currentPath, reason: String(cString: strerror(errno))) }
        transaction.parts.append(part)
        bytesInPart.value = 0
        if let header = sink.encoder.header {
            buffer.value.append(contentsOf: header.utf8)
            buffer.value.append(UInt8(ascii: "\n"))
        }
    }

    @usableFromInline func flushBuffer() throws {
        do {
            try DurableFile.writeAll(buffer.value, to: descriptor.value, path: currentPath)
        } catch DurableFile.Failure.system(_, _, let code) {
            throw SinkError.unwritable(path: currentPath, reason: String(cString: strerror(code)))
        }
        buffer.value.removeAll(keepingCapacity: true)
    }

    /// Flush, fsync, close: the part is durable (and, at least once, visible). Without a
    /// guarantee, nothing is synced.
    @usableFromInline func closePart() throws {
        try flushBuffer()
        guard sink.guarantee == .none || fsync(descriptor.value) == 0 else { throw SinkError.unwritable(path: currentPath, reason: String(cString: strerror(errno))) }
        closeDescriptor(descriptor.value)
        descriptor.value = -1
        if sink.guarantee == .atLeastOnce { try DurableFile.syncDirectory(sink.directory) }
    }

    deinit { descriptor.release(); buffer.release(); bytesInPart.release() }
}

/// Errors of sinks.
public enum SinkError: Error, CustomStringConvertible {
    /// A part file or the directory could not be written, synced or renamed.
    case unwritable(path: String, reason: String)

    /// The path and why it could not be written.
    public var description: String {
        switch self {
        case let .unwritable(path, reason): return "cannot write '\(path)': \(reason)"
        }
    }
}
