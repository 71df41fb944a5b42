import Foundation
import WeirTestSupport

/// A `weir worker` process, logging to a file of its own.
final class WorkerProcess {
    let process = Process()
    let log: String

    init(_ arguments: [String], log: String, environment: [String: String]) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = CrashHarness.executable(named: "weir")
        process.arguments = ["worker"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Stops the worker (SIGCONT first, in case it is stopped) and waits for it — up to 90 s:
    /// a worker in the middle of a rebalance finishes its JoinGroup (the broker may hold it for
    /// the rebalance timeout, 30 s) before it sees the stop (seen once on Tansu: a woken zombie
    /// rejoining took longer than the 30 s this waited before).
    func end(_ signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(pid, SIGCONT)
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
    }
}
