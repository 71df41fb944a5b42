import Foundation

/// One run of the built `weir` command to its end: its exit status and what it printed
/// (standard output and error together).
struct WeirCommandRun {
    var status: Int32
    var output: String

    init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }

    init(executable: URL = CrashHarness.executable(named: "weir"), _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let printed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        output = String(decoding: printed, as: UTF8.self)
    }
}
