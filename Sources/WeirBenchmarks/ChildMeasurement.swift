import ArgumentParser
import Foundation

/// One measurement run in a child process, so that its peak RSS and its start-up are its own.
enum ChildMeasurement {
    /// `weir-bench single …` (this executable): the measurement and the child's wall time from
    /// spawn to exit.
    static func weir(job: Job, engine: Engine, parallelism: Int, events: Int64, keys: Int, outputDirectory: String? = nil) throws -> (measurement: Measurement, wallSeconds: Double) {
        var arguments = ["single", "--job", job.rawValue, "--engine", engine.rawValue, "--parallelism", "\(parallelism)", "--events", "\(events)", "--keys", "\(keys)"]
        if let outputDirectory { arguments += ["--output-directory", outputDirectory] }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        return try run(executable, arguments, what: "\(job.rawValue) \(engine.rawValue) p=\(parallelism)")
    }

    /// Runs `executable` and decodes the last line it prints as a ``Measurement``.
    static func run(_ executable: URL, _ arguments: [String], what: String) throws -> (measurement: Measurement, wallSeconds: Double) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        let started = DispatchTime.now().uptimeNanoseconds
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        guard process.terminationStatus == 0 else {
            throw ValidationError("measurement \(what) failed with status \(process.terminationStatus)")
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw ValidationError("measurement \(what) printed no result")
        }
        return (try JSONDecoder().decode(Measurement.self, from: Data(line.utf8)), wallSeconds)
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Events per second as "12.34 M" or "567 k".
func format(_ value: Double) -> String {
    value >= 1e6 ? String(format: "%.2f M", value / 1e6) : String(format: "%.0f k", value / 1e3)
}
