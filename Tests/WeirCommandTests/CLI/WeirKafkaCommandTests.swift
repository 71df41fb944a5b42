import Foundation
import XCTest
@testable import Weir
import WeirTestSupport
import WeirKafkaTestSupport

/// The seed's pipeline through the `weir` command (built with the Kafka trait), against
/// noida-db: `weir produce` fills the input topic, `weir run --source kafka --sink kafka` is
/// SIGKILLed three times and resumed, and `weir verify` recomputes every window sum from the
/// input topic and finds each exactly once in the output topic, read read_committed.
final class WeirKafkaCommandTests: XCTestCase {
    private var data = ""

    override func setUpWithError() throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-kafka-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    private func weir(_ arguments: [String]) throws -> WeirCommandRun { try WeirCommandRun(arguments) }

    func testProduceRunKilledAndResumedThenVerifySaysExactlyOnce() throws {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let produced = try weir(["produce", "--kafka-bootstrap", bootstrap, "--topic", "events", "--events", "300000", "--keys", "1000", "--partitions", "3"])
        XCTAssertEqual(produced.status, 0, produced.output)
        XCTAssertTrue(produced.output.contains("wrote 300000 events to events (3 partitions)"), produced.output)

        let run = data + "/run"
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir"),
                                   arguments: ["run", "--data-dir", run, "--source", "kafka", "--input-topic", "events", "--sink", "kafka",
                                               "--output-topic", "sums", "--kafka-bootstrap", bootstrap, "--parallelism", "2", "--checkpoint-interval", "100"])
        harness.randomKills = 3
        harness.killsCountFromFirstCheckpointIn = run + "/checkpoints"
        harness.killDelayMilliseconds = 0...300
        harness.logPath = data + "/runs.log"
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 3)

        let verified = try weir(["verify", "--data-dir", run])
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.output.contains("exactly-once: OK"), verified.output)
        // 300,000 events at 100,000 per second of event time: 3 windows of 1,000 keys.
        XCTAssertTrue(verified.output.contains("(3000 rows)"), verified.output)
    }
}
