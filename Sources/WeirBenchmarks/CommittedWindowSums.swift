import ArgumentParser
import Foundation
import Weir

/// The window sums an exactly-once file sink committed, as CSV lines `key,windowStart,sum,count`
/// in the visible files under a directory — Weir's `FileSink` and Flink's `FileSink` write the
/// same lines, and both hide what is not committed behind a leading dot.
struct CommittedWindowSums: Equatable {
    /// Every committed line, sorted (the files' order and names differ between engines).
    var lines: [Substring]

    static func read(_ directory: String) throws -> CommittedWindowSums {
        var lines: [Substring] = []
        try forEachCommittedFile(in: directory) { lines += $0.split(separator: "\n") }
        return CommittedWindowSums(lines: lines.sorted())
    }

    /// Count and checksum of the committed lines, a file at a time: the benchmark's own process
    /// must not hold every result (its peak RSS is reported).
    static func digest(of directory: String) throws -> (count: Int, checksum: Int64) {
        var count = 0
        var checksum: Int64 = 0
        try forEachCommittedFile(in: directory) { text in
            let file = try CommittedWindowSums(lines: text.split(separator: "\n")).digest
            count += file.count
            checksum &+= file.checksum
        }
        return (count, checksum)
    }

    private static func forEachCommittedFile(in directory: String, _ body: (String) throws -> Void) throws {
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw ValidationError("no output directory \(directory)")
        }
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            try body(String(decoding: try DurableFile.read(path), as: UTF8.self))
        }
    }

    /// Count and weir-bench's order-independent checksum (`sum · 31 + windowStart + key`).
    var digest: (count: Int, checksum: Int64) {
        get throws {
            var checksum: Int64 = 0
            for line in lines {
                let fields = line.split(separator: ",").compactMap { Int64($0) }
                guard fields.count == 4 else { throw ValidationError("not a window sum: \(line)") }
                checksum &+= fields[2] &* 31 &+ fields[1] &+ fields[0]
            }
            return (lines.count, checksum)
        }
    }
}
