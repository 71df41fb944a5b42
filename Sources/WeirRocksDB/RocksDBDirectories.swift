import Foundation
import Weir

/// The local directories of a backend's instances: one per subtask, named after the process
/// that opened it, so that the directories a killed process left behind are found and deleted
/// by the next process that opens an instance in the same place.
enum RocksDBDirectories {
    static var defaultRoot: String {
        (NSTemporaryDirectory() as NSString).appendingPathComponent("weir-rocksdb")
    }

    private static let counter = InstanceCounter()

    /// A new, empty directory for `location`'s instance under `root`.
    static func makeInstanceDirectory(in root: String, for location: OperatorLocation) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw RocksDBError(operation: "creating the local state directory \(root)", message: "\(error)")
        }
        removeAbandoned(in: root)
        let safeName = String(location.operatorName.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(64))
        let name = "\(safeName)-\(location.subtask)-pid\(getpid())-\(counter.next())"
        return (root as NSString).appendingPathComponent(name)
    }

    /// Deletes the instance directories of processes that no longer run.
    static func removeAbandoned(in root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            guard let pid = owner(of: name), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: (root as NSString).appendingPathComponent(name))
        }
    }

    /// The pid in a directory name `…-pid<pid>-<n>`.
    static func owner(of name: String) -> pid_t? {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, parts[parts.count - 2].hasPrefix("pid") else { return nil }
        return pid_t(parts[parts.count - 2].dropFirst(3))
    }
}

/// Numbers the instances one process opens (several subtasks, and runs of a job, share a root).
final class InstanceCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
