import Foundation

/// The lines of text files, UTF-8, without their line terminators (`\n` or `\r\n`).
///
/// Files are split among subtasks by index (file *i* goes to subtask *i* mod *p*) and each is
/// read front to back, so a subtask's position is a (file, byte offset) pair. A final line
/// without a terminator is read too.
public struct LineFileSource: Source {
    public let paths: [String]

    /// Reads the given files.
    public init(paths: [String]) { self.paths = paths }

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
    }

    public func makeReader(_ context: SourceContext) throws -> Reader {
        Reader(splits: paths.enumerated().filter { $0.offset % context.parallelism == context.subtask }.map { Split(path: $0.element, offset: 0) })
    }

    public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        let decoder = BinaryStateDecoder()
        return Reader(splits: try splits.map { try decoder.decode(Split.self, from: $0) })
    }

    /// A file and the byte offset of its next unread line.
    struct Split: Codable, Sendable {
        var path: String
        var offset: UInt64
    }

    public struct Reader: SourceReader {
        private var splits: [Split]
        private var paths: [String] { splits.map(\.path) }
        private var fileIndex = 0
        private var handle: FileHandle?
        private var buffer: [UInt8] = []
        private var bufferStart = 0
        /// Byte offset in the current file of the next unread line.
        public private(set) var offset: UInt64 = 0
        private var endOfFile = false

        init(splits: [Split]) { self.splits = splits }

        public func snapshotSplits() throws -> [[UInt8]] {
            let encoder = BinaryStateEncoder()
            var remaining = Array(splits[fileIndex...])
            if handle != nil, !remaining.isEmpty { remaining[0].offset = offset }
            return try remaining.map { try encoder.encode($0) }
        }

        public mutating func poll(into batch: inout [StreamRecord<String>], maxRecords: Int) throws -> SourcePoll {
            while batch.count < maxRecords {
                if handle == nil {
                    guard fileIndex < splits.count else { return .finished }
                    let path = splits[fileIndex].path
                    guard let opened = FileHandle(forReadingAtPath: path) else {
                        throw SourceError.unreadable(path: path, reason: "cannot open for reading")
                    }
                    handle = opened
                    buffer.removeAll(keepingCapacity: true)
                    bufferStart = 0
                    offset = splits[fileIndex].offset
                    endOfFile = false
                    if offset > 0 {
                        do { try opened.seek(toOffset: offset) } catch {
                            throw SourceError.unreadable(path: paths[fileIndex], reason: "cannot seek to the checkpointed offset \(offset): \(error.localizedDescription)")
                        }
                    }
                }
                if let newline = buffer[bufferStart...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > bufferStart && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    batch.append(StreamRecord(String(decoding: buffer[bufferStart..<end], as: UTF8.self)))
                    offset += UInt64(newline + 1 - bufferStart)
                    bufferStart = newline + 1
                    continue
                }
                if endOfFile {
                    if bufferStart < buffer.count {
                        batch.append(StreamRecord(String(decoding: buffer[bufferStart...], as: UTF8.self)))
                        offset += UInt64(buffer.count - bufferStart)
                    }
                    try? handle?.close()
                    handle = nil
                    fileIndex += 1
                    continue
                }
                buffer.removeSubrange(0..<bufferStart)
                bufferStart = 0
                let chunk: Data?
                do { chunk = try handle!.read(upToCount: 1 << 16) } catch {
                    throw SourceError.unreadable(path: paths[fileIndex], reason: "\(error.localizedDescription)")
                }
                if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { endOfFile = true }
            }
            return .more
        }

        public mutating func close() {
            try? handle?.close()
            handle = nil
        }
    }
}

/// Errors of sources.
public enum SourceError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read '\(path)': \(reason)"
        }
    }
}
