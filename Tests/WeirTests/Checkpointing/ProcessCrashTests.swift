import XCTest
@testable import Weir

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

    /// The crash-test job, built beside the test bundle (`swift build --build-tests` builds it).
    private var jobExecutable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("weir-crash-test-job")
    }

    struct Outcome {
        var kills = 0
        var runs = 0
        var counts: [Int: Int64] = [:]
    }

    /// Runs the job until it exits 0, killing it `kills` times after a random 100–400 ms
    /// (which lands in start-up, restore, processing and checkpointing alike).
    private func runWithKills(_ kills: Int, mode: String, workload: ReferenceWorkload, rate: Int, seed: UInt64) throws -> Outcome {
        var random = SplitMix64(seed: seed)
        var outcome = Outcome()
        let output = directory + "/counts.txt"
        while true {
            let process = Process()
            process.executableURL = jobExecutable
            process.arguments = ["--checkpoints", directory + "/checkpoints", "--output", output, "--events", "\(workload.events)",
                                 "--keys", "\(workload.keys)", "--rate", "\(rate)", "--parallelism", "2", "--interval", "50", "--mode", mode]
                + (outcome.runs > 0 ? ["--resume"] : [])
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Whatever happens in this test, the job it started does not outlive it.
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
            outcome.runs += 1
            if outcome.kills < kills {
                usleep(useconds_t(100_000 + random.next() % 300_000))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    outcome.kills += 1
                    continue
                }
            }
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit)
            guard process.terminationStatus == 0 else {
                throw InjectedFailure(message: "the job exited with status \(process.terminationStatus) after \(outcome.kills) kills")
            }
            break
        }
        let text = String(decoding: try DurableFile.read(output), as: UTF8.self)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ",")
            outcome.counts[Int(fields[0])!] = Int64(fields[1])!
        }
        return outcome
    }

    func testSIGKILLAtRandomMomentsThenResumeCountsExactlyOnce() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: jobExecutable.path), "build the package first (swift build --build-tests)")
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
