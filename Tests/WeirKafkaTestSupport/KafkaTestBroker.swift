import Foundation
import WeirKafka
import WeirTestSupport
import XCTest

/// A Kafka-compatible broker of one test: its own port and directory, started from the binary
/// the test command installed, stopped by its pid with SIGINT.
///
/// Two independent brokers: noida-db (`WEIR_NOIDA_DB`; the oracle for transactions, data in
/// the test's directory) and Tansu (`WEIR_TANSU`; in memory; writes transaction markers but
/// never fills the aborted-transactions list). Without the variable the tests that need the
/// broker are skipped, unless `WEIR_REQUIRE_KAFKA=1` (the test command sets it) makes them fail.
package final class KafkaTestBroker {
    package enum Kind: String, CaseIterable, CustomStringConvertible {
        case noida = "noida-db"
        case tansu = "Tansu"

        package var description: String { rawValue }

        package var binaryVariable: String {
            switch self {
            case .noida: "WEIR_NOIDA_DB"
            case .tansu: "WEIR_TANSU"
            }
        }

        package func arguments(port: Int, dataDirectory: String) -> [String] {
            switch self {
            case .noida:
                ["start", "--data-dir", dataDirectory, "--host", "127.0.0.1", "--only", "kafka", "--kafka-port", "\(port)"]
            case .tansu:
                ["broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
                 "--storage-engine", "memory://tansu/"]
            }
        }
    }

    package let kind: Kind
    package let address: BrokerAddress
    package let directory: String
    private var pid: pid_t

    package static func noida(file: StaticString = #filePath, line: UInt = #line) throws -> KafkaTestBroker {
        try start(.noida, file: file, line: line)
    }

    package static func start(_ kind: Kind, file: StaticString = #filePath, line: UInt = #line) throws -> KafkaTestBroker {
        let environment = ProcessInfo.processInfo.environment
        guard let binary = environment[kind.binaryVariable], !binary.isEmpty else {
            if environment["WEIR_REQUIRE_KAFKA"] == "1" {
                XCTFail("\(kind.binaryVariable) is not set: run the tests with scripts/test.sh", file: file, line: line)
            }
            throw XCTSkip("no \(kind) broker: set \(kind.binaryVariable) to its binary (scripts/kafka-brokers.sh install DIR prints it)")
        }
        return try KafkaTestBroker(kind, binary: binary)
    }

    private init(_ kind: Kind, binary: String) throws {
        self.kind = kind
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-kafka-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let port = try Self.freePort()
        address = BrokerAddress(host: "127.0.0.1", port: port)
        pid = try Self.spawn(binary, kind.arguments(port: port, dataDirectory: directory + "/data"), log: directory + "/broker.log")
        self.binary = binary
        try waitUntilListening()
    }

    private let binary: String

    /// Stops the broker (SIGINT, as an operator would), leaves it down for `downtime`, and starts
    /// it again on the same port with the same data: a broker outage under a running job.
    package func restart(after downtime: Duration = .zero) throws {
        terminate()
        usleep(useconds_t(downtime.components.seconds * 1_000_000 + downtime.components.attoseconds / 1_000_000_000_000))
        try? FileManager.default.moveItem(atPath: directory + "/broker.log", toPath: directory + "/broker-\(Int(Date().timeIntervalSince1970 * 1000)).log")
        pid = try Self.spawn(binary, kind.arguments(port: address.port, dataDirectory: directory + "/data"), log: directory + "/broker.log")
        try waitUntilListening()
    }

    /// Starts `binary` with default signal handling and an empty signal mask. Not Foundation's
    /// `Process`: its child inherits the spawning thread's mask, and the test threads block
    /// SIGINT — the broker would never see the SIGINT that stops it.
    private static func spawn(_ binary: String, _ arguments: [String], log: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, binary, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw KafkaError.connectionFailed(broker: BrokerAddress(host: "127.0.0.1", port: 0), reason: "cannot start \(binary): \(String(cString: strerror(status)))")
        }
        return pid
    }

    private var isRunning: Bool {
        guard pid > 0 else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            pid = 0
            return false
        }
        return true
    }

    /// Stops the broker by its pid (SIGINT, then SIGKILL after 10 s) and removes its data.
    package func stop() {
        terminate()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Ends the broker process: SIGINT, then SIGKILL after 10 s.
    private func terminate() {
        guard isRunning else { return }
        kill(pid, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            pid = 0
        }
    }

    deinit { stop() }

    package var log: String { (try? String(contentsOfFile: directory + "/broker.log", encoding: .utf8)) ?? "" }

    private func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard isRunning else {
                XCTFail("\(kind) exited at start: \(log)")
                throw KafkaError.connectionFailed(broker: address, reason: "the test broker exited at start")
            }
            if Self.accepts(port: address.port) { return }
            usleep(50_000)
        }
        stop()
        XCTFail("\(kind) did not listen on \(address) within 20 s: \(log)")
        throw KafkaError.connectionFailed(broker: address, reason: "the test broker did not start")
    }

    /// A port the kernel just handed out (bound to port 0, then released).
    package static func freePort() throws -> Int {
        guard let port = LoopbackPort.free() else { throw KafkaError.connectionFailed(broker: BrokerAddress(host: "127.0.0.1", port: 0), reason: "no free port") }
        return port
    }

    package static func accepts(port: Int) -> Bool { LoopbackPort.accepts(port) }
}
