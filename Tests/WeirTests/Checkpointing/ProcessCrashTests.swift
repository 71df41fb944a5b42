import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

/// The whole process is killed with SIGKILL at random moments and started again with
/// `--resume` until it finishes; its final per-key counts must equal the input's exactly.
final class ProcessCrashTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-crash-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Outcome {
        var kills = 0
        var runs = 0
        var counts: [Int: Int64] = [:]
    }

    /// Runs the counting job until it exits 0, killing it `kills` times after a random
    /// 100–400 ms (which lands in start-up, restore, processing and checkpointing alike).
    private func runWithKills(_ kills: Int, mode: String, workload: ReferenceWorkload, rate: Int, seed: UInt64) throws -> Outcome {
        let output = directory + "/counts.txt"
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir-crash-test-job"),
                                   arguments: ["--checkpoints", directory + "/checkpoints", "--output", output, "--events", "\(workload.events)",
                                               "--keys", "\(workload.keys)", "--rate", "\(rate)", "--parallelism", "2", "--interval", "50", "--mode", mode])
        harness.randomKills = kills
        harness.killDelayMilliseconds = 100...399
        harness.seed = seed
        let run = try harness.run()
        XCTAssertEqual(run.crashes, 0, "no run died of a signal the test did not send")
        var outcome = Outcome(kills: run.kills, runs: run.runs)
        let text = String(decoding: try DurableFile.read(output), as: UTF8.self)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ",")
            outcome.counts[Int(fields[0])!] = Int64(fields[1])!
        }
        return outcome
    }

    func testSIGKILLAtRandomMomentsThenResumeCountsExactlyOnce() throws {
        let workload = ReferenceWorkload(events: 300_000, keys: 200)
        let outcome = try runWithKills(12, mode: "exactly-once", workload: workload, rate: 60_000, seed: 2_026)
        XCTAssertEqual(outcome.kills, 12, "the job was killed 12 times")
        XCTAssertEqual(outcome.counts, workload.expectedCounts(), "no event lost or counted twice over \(outcome.runs) runs")
    }

    func testSIGKILLWithAtLeastOnceNeverLoses() throws {
        let workload = ReferenceWorkload(events: 100_000, keys: 200)
        let outcome = try runWithKills(5, mode: "at-least-once", workload: workload, rate: 100_000, seed: 7)
        let expected = workload.expectedCounts()
        XCTAssertEqual(Set(outcome.counts.keys), Set(expected.keys))
        XCTAssertTrue(outcome.counts.allSatisfy { $0.value >= expected[$0.key]! }, "at-least-once loses nothing")
    }
}
