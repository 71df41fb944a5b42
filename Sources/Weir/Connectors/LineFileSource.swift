import Foundation

/// The lines of text files, UTF-8, without their line terminators (`\n` or `\r\n`).
///
/// Files are split among subtasks by index (file *i* goes to subtask *i* mod *p*); each file is
/// a split whose position is the byte offset of its next line. A final line without a
/// terminator is read too. Checkpoints name a file relative to the source's directory (when
/// made with ``init(directory:)``), so that the input can be moved with the run.
///
/// **Event time.** Set ``watermarks`` to take each line's event time in the source and keep a
/// watermark per file (``SplitWatermarks``): a subtask then reads all of its files at once,
/// handing out the line with the smallest timestamp next, and its watermark is the least of its
/// files' watermarks. Each file on its own must be out of order by no more than the strategy's
/// bound; files may overlap or follow each other in time in any order, and a restore may deal
/// the files to other subtasks, without making a record late. Without ``watermarks`` a subtask
/// reads its files one after the other, and a watermark made after the source
/// (`assignTimestampsAndWatermarks`) is only exact if every subtask's files follow each other in
/// time — also after a restore that deals them anew.
public struct LineFileSource: Source {
    /// The files, in the order they are dealt to subtasks.
    public let paths: [String]
    /// The directory the files were listed from (`nil` for ``init(paths:)``).
    public let directory: String?
    /// Event time per line and watermarks per file; `nil` (the default): records carry no
    /// timestamp and the source makes no watermark.
    public var watermarks: WatermarkStrategy<String>?

    /// Reads the given files (checkpoints record these paths as given).
    public init(paths: [String]) {
        self.paths = paths
        self.directory = nil
    }

    /// Reads every regular file directly in `directory` (not recursively, hidden files
    /// skipped), in name order.
    public init(directory: String) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SourceError.unreadable(path: directory, reason: "\(error.localizedDescription)")
        }
        var files: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        self.paths = files
        self.directory = directory
    }

    /// The reader of one subtask: its share of the files, each from its start.
    public func makeReader(_ context: SourceContext) throws -> Reader {
        let mine = paths.enumerated().filter { $0.offset % context.parallelism == context.subtask }
        return Reader(splits: mine.map { Split(file: name(of: $0.element), offset: 0, maxEventTime: nil) }, source: self)
    }

    /// A reader that continues each file of `splits` at the byte offset a checkpoint recorded.
    public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        Reader(splits: try splits.map(Split.decode), source: self)
    }

    /// How checkpoints name `path`: relative to ``directory`` when it lies there.
    @usableFromInline func name(of path: String) -> String {
        guard let directory else { return path }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Where the file a checkpoint names is now.
    @usableFromInline func path(of name: String) -> String {
        guard let directory, !name.hasPrefix("/") else { return name }
        return (directory as NSString).appendingPathComponent(name)
    }

    /// A file and the byte offset of its next line not handed out yet.
    @usableFromInline struct Split: Codable, Sendable {
        /// Relative to the source's directory (absolute in checkpoints of older versions).
        @usableFromInline var file: String
        @usableFromInline var offset: UInt64
        /// The largest event time handed out of the file (with ``LineFileSource/watermarks``).
        @usableFromInline var maxEventTime: Int64?

        @usableFromInline struct WithoutEventTime: Codable {
            @usableFromInline var path: String
            @usableFromInline var offset: UInt64
        }

        @usableFromInline static func decode(_ bytes: [UInt8]) throws -> Split {
            let decoder = BinaryStateDecoder()
            if let split = try? decoder.decode(Split.self, from: bytes) { return split }
            let old = try decoder.decode(WithoutEventTime.self, from: bytes)
            return Split(file: old.path, offset: old.offset, maxEventTime: nil)
        }
    }

    /// One subtask's reader of its files.
    public struct Reader: SourceReader {
        @usableFromInline var splits: [Split]
        @usableFromInline let source: LineFileSource
        /// One cursor per split being read (opened when reading starts, closed at its end).
        @usableFromInline var cursors: [LineCursor?]
        /// Splits read to their end.
        @usableFromInline var done: Set<Int> = []
        /// Without watermarks: the split read now (they are read in order).
        @usableFromInline var fileIndex = 0
        /// With watermarks: each open split's next line and its event time, not handed out yet.
        @usableFromInline var heads: [(line: String, eventTime: Int64)?]
        @usableFromInline var fileWatermarks: SplitWatermarks<Int>?
        @usableFromInline var opened = false

        @usableFromInline init(splits: [Split], source: LineFileSource) {
            self.splits = splits
            self.source = source
            self.cursors = Array(repeating: nil, count: splits.count)
            self.heads = Array(repeating: nil, count: splits.count)
            if let strategy = source.watermarks {
                var generator = SplitWatermarks<Int>(strategy: strategy)
                let now = ProcessingClock.nowMilliseconds()
                for (index, split) in splits.enumerated() { generator.assign(index, restoredMaxEventTime: split.maxEventTime, now: now) }
                fileWatermarks = generator
            }
        }

        /// Byte offset of the next line not handed out, in the file read now (sequential reading).
        public var offset: UInt64 { fileIndex < cursors.count ? cursors[fileIndex]?.offset ?? 0 : 0 }

        /// Each file of this subtask with the byte offset of its next line.
        public func snapshotSplits() throws -> [[UInt8]] {
            let encoder = BinaryStateEncoder()
            return try splits.indices.filter { !done.contains($0) }.map { index in
                var split = splits[index]
                if let cursor = cursors[index] { split.offset = cursor.offset }
                split.maxEventTime = fileWatermarks?.maxEventTime(of: index) ?? split.maxEventTime
                return try encoder.encode(split)
            }
        }

        /// The least of the files' watermarks (only with ``LineFileSource/watermarks``).
        public var currentWatermark: Watermark? { fileWatermarks?.watermark(now: ProcessingClock.nowMilliseconds()) }

        /// Whether every file of this subtask has been idle for the strategy's idle timeout.
        public var isIdle: Bool { fileWatermarks?.isIdle(now: ProcessingClock.nowMilliseconds()) ?? false }

        /// Appends up to `maxRecords` lines to `batch`.
        public mutating func poll(into batch: inout [StreamRecord<String>], maxRecords: Int) throws -> SourcePoll {
            if fileWatermarks != nil { return try pollByEventTime(into: &batch, maxRecords: maxRecords) }
            while batch.count < maxRecords {
                guard fileIndex < splits.count else { return .finished }
                if cursors[fileIndex] == nil { cursors[fileIndex] = try LineCursor(path: source.path(of: splits[fileIndex].file), offset: splits[fileIndex].offset) }
                if let line = try cursors[fileIndex]!.nextLine() {
                    batch.append(StreamRecord(line))
                    cursors[fileIndex]!.handOut()
                } else {
                    cursors[fileIndex]!.close()
                    cursors[fileIndex] = nil
                    done.insert(fileIndex)
                    fileIndex += 1
                }
            }
            return .more
        }

        /// Every split open at once; the line with the smallest event time goes next, and a
        /// run of lines of one file goes on while it stays at or below the next file's.
        @usableFromInline mutating func pollByEventTime(into batch: inout [StreamRecord<String>], maxRecords: Int) throws -> SourcePoll {
            let assign = source.watermarks!.timestampAssigner
            if !opened {
                opened = true
                for (index, split) in splits.enumerated() {
                    cursors[index] = try LineCursor(path: source.path(of: split.file), offset: split.offset)
                    try readHead(index, assign)
                }
            }
            while batch.count < maxRecords {
                var first: (index: Int, time: Int64)?
                var second = Int64.max
                for index in heads.indices {
                    guard let head = heads[index] else { continue }
                    if let current = first, head.eventTime >= current.time {
                        second = min(second, head.eventTime)
                    } else {
                        if let current = first { second = min(second, current.time) }
                        first = (index, head.eventTime)
                    }
                }
                guard let (index, _) = first else { return .finished }
                while batch.count < maxRecords, let head = heads[index], head.eventTime <= second {
                    batch.append(StreamRecord(head.line, timestamp: head.eventTime))
                    fileWatermarks!.observe(head.eventTime, in: index)
                    cursors[index]!.handOut()
                    try readHead(index, assign)
                }
            }
            return .more
        }

        /// Reads split `index`'s next line into `heads`, or finishes the split at its end.
        @usableFromInline mutating func readHead(_ index: Int, _ assign: (@Sendable (String, Int64) -> Int64)?) throws {
            if let line = try cursors[index]!.nextLine() {
                heads[index] = (line, assign.map { $0(line, Int64.min) } ?? Int64.min)
            } else {
                heads[index] = nil
                cursors[index]!.close()
                done.insert(index)
                fileWatermarks!.finish(index)
            }
        }

        /// Closes the open files.
        public mutating func close() {
            for index in cursors.indices { cursors[index]?.close() }
        }
    }
}

/// Reads one file line by line from a byte offset; knows the offset of the next line not handed
/// out (a line read is handed out by ``handOut()``, so a read-ahead line is not skipped by a
/// checkpoint).
@usableFromInline struct LineCursor {
    @usableFromInline let path: String
    @usableFromInline var handle: FileHandle?
    @usableFromInline var buffer: [UInt8] = []
    @usableFromInline var bufferStart = 0
    @usableFromInline var endOfFile = false
    /// Offset of the next line not handed out.
    @usableFromInline var offset: UInt64
    /// Offset after the last line read.
    @usableFromInline var readOffset: UInt64

    @usableFromInline init(path: String, offset: UInt64) throws {
        self.path = path
        self.offset = offset
        self.readOffset = offset
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw SourceError.unreadable(path: path, reason: "cannot open for reading")
        }
        handle = opened
        if offset > 0 {
            do { try opened.seek(toOffset: offset) } catch {
                throw SourceError.unreadable(path: path, reason: "cannot seek to the checkpointed offset \(offset): \(error.localizedDescription)")
            }
        }
    }

    /// The line read last is handed out: a checkpoint now starts after it.
    @usableFromInline mutating func handOut() { offset = readOffset }

    /// The next line, or `nil` at the end of the file.
    @usableFromInline mutating func nextLine() throws -> String? {
        while true {
            if let newline = buffer[bufferStart...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > bufferStart && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[bufferStart..<end], as: UTF8.self)
                readOffset += UInt64(newline + 1 - bufferStart)
                bufferStart = newline + 1
                return line
            }
            if endOfFile {
                guard bufferStart < buffer.count else { return nil }
                let line = String(decoding: buffer[bufferStart...], as: UTF8.self)
                readOffset += UInt64(buffer.count - bufferStart)
                bufferStart = buffer.count
                return line
            }
            buffer.removeSubrange(0..<bufferStart)
            bufferStart = 0
            guard let handle else { throw SourceError.unreadable(path: path, reason: "read after close") }
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 16) } catch {
                throw SourceError.unreadable(path: path, reason: "\(error.localizedDescription)")
            }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { endOfFile = true }
        }
    }

    @usableFromInline mutating func close() {
        try? handle?.close()
        handle = nil
    }
}

/// Errors of sources.
public enum SourceError: Error, CustomStringConvertible {
    /// A file could not be opened or read.
    case unreadable(path: String, reason: String)

    /// The file and why it could not be read.
    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read '\(path)': \(reason)"
        }
    }
}
