import Foundation

/// One run of a built executable of the package (by default the `weir` command) to its end:
/// its exit status and what it printed (standard output, and standard error with it unless
/// told otherwise).
package struct WeirCommandRun {
    package var status: Int32
    package var output: String

    package init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }

    /// Runs `executable` with `arguments`, in `directory` (default: the test's) and with
    /// `environment` added to the test's.
    package init(executable: URL = CrashHarness.executable(named: "weir"), _ arguments: [String], in directory: String? = nil,
                 environment: [String: String] = [:], includingStandardError: Bool = true) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = includingStandardError ? pipe : FileHandle.nullDevice
        try process.run()
        let printed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        output = String(decoding: printed, as: UTF8.self)
    }
}
