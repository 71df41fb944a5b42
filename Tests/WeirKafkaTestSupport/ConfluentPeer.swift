import Foundation
import XCTest

/// confluent-kafka (librdkafka, through Python: `Peers/confluent_peer.py`), an implementation
/// of Kafka's client protocol independent of WeirKafka: tests read through it what Weir wrote,
/// and write through it what Weir must read.
package enum ConfluentPeer {
    package struct Record: Decodable, Equatable {
        package var offset: Int64
        package var timestamp: Int64
        package var key: String?
        package var value: String?
        package var headers: [[String?]]

        package init(offset: Int64, timestamp: Int64, key: String?, value: String?, headers: [[String?]]) {
            self.offset = offset
            self.timestamp = timestamp
            self.key = key
            self.value = value
            self.headers = headers
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) { self.description = description }
    }

    /// The Python that has confluent-kafka: `WEIR_KAFKA_PYTHON`, set by the test command.
    package static func python() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["WEIR_KAFKA_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            if environment["WEIR_REQUIRE_KAFKA"] == "1" { XCTFail("WEIR_KAFKA_PYTHON is not set: run the tests with scripts/test.sh") }
            throw XCTSkip("no confluent-kafka: set WEIR_KAFKA_PYTHON to a Python that has it (scripts/kafka-brokers.sh install DIR makes DIR/venv/bin/python)")
        }
        return python
    }

    /// Runs the peer script (or another of `Peers/`) and returns what it printed; fails on a
    /// non-zero exit.
    package static func run(_ python: String, _ arguments: [String], script name: String = "confluent_peer.py") throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Peers/" + name).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complained = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(name) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(String(decoding: complained, as: UTF8.self))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}
