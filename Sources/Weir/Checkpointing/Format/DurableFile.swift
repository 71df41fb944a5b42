#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, atomic file writes: write a temporary file, fsync it, rename it into place, fsync
/// the directory. A reader sees the old file or the complete new one, also after a power loss.
public enum DurableFile {
    /// A system call that failed, with the file and the error number.
    public enum Failure: Error, CustomStringConvertible {
        /// `operation` on `path` failed with `errno`.
        case system(operation: String, path: String, errno: Int32)

        /// The path and the system call that failed, with its error.
        public var description: String {
            switch self {
            case let .system(operation, path, code): return "\(operation) '\(path)' failed: \(String(cString: strerror(code)))"
            }
        }
    }

    /// Writes `bytes` to `path` atomically and durably.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".inprogress"
        try writeAndSync(bytes, to: temporary)
        guard rename(temporary, path) == 0 else { throw Failure.system(operation: "rename to", path: path, errno: errno) }
        try syncDirectory(containing: path)
    }

    /// Writes `bytes` to a new file at `path` and fsyncs it (no rename).
    public static func writeAndSync(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure.system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path: path)
        guard fsync(fd) == 0 else { throw Failure.system(operation: "fsync", path: path, errno: errno) }
    }

    /// Writes all of `bytes` to an open file, however the kernel splits the write.
    @usableFromInline static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure.system(operation: "write", path: path, errno: errno)
            }
            offset += written
        }
    }

    /// fsyncs the directory of `path`, which makes a rename or creation in it durable.
    public static func syncDirectory(containing path: String) throws {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        try syncDirectory(directory.isEmpty ? "." : directory)
    }

    /// fsyncs a directory, which makes the creations, renames and removals in it durable.
    public static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw Failure.system(operation: "open directory", path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure.system(operation: "fsync directory", path: directory, errno: errno) }
    }

    /// The whole content of `path`.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure.system(operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure.system(operation: "read", path: path, errno: errno)
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
    }
}

/// `write(2)` and `read(2)`, named apart from Swift's `write`/`read` in scope.
@usableFromInline func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, buffer, count) }
@usableFromInline func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(descriptor, buffer, count) }
