import Foundation
import Synchronization
import XCTest
@testable import Weir

/// A run claims its checkpoint directory; once another run claims it (a restarted job, while
/// this one was thought dead), this run completes no more checkpoints — so its sinks commit
/// nothing more — and stops without restarting.
final class CheckpointDirectoryOwnerTests: XCTestCase {
    func testRunWhoseDirectoryAnotherRunClaimedStopsWithoutCompletingCheckpoints() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-owner-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let env = StreamEnvironment(parallelism: 2)
        env.checkpointing = CheckpointConfiguration(directory: directory, interval: .milliseconds(50))
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .zero)
        env.warningHandler = { _ in }
        let claimedAfter = Atomic<Bool>(false)
        env.addSource(GeneratorSource(count: 5_000_000, ratePerSecond: 200_000) { StreamRecord($0) }, name: "Generator")
            .map(name: "Claim") { (value: Int64) -> Int64 in
                // After about a second, another run claims the directory.
                if value == 200_000, !claimedAfter.exchange(true, ordering: .relaxed) {
                    try DurableFile.write(Array("another host pid 1 run 00000000".utf8), to: directory + "/_owner")
                }
                return value
            }
            .sink(DiscardingSink())
        let started = ContinuousClock.now
        XCTAssertThrowsError(try env.execute("owned")) { error in
            guard case CheckpointError.superseded(_, let by) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(by, "another host pid 1 run 00000000")
            XCTAssertTrue("\(error)".contains("took over the checkpoint directory"), "\(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(20), "it stops at its next checkpoint, not at the end of its input")
        let completed = try FileCheckpointStorage(directory: directory).storedCheckpoints().map(\.checkpointID)
        let owner = String(decoding: try DurableFile.read(directory + "/_owner"), as: UTF8.self)
        XCTAssertEqual(owner, "another host pid 1 run 00000000", "the run did not claim the directory back")
        XCTAssertFalse(completed.isEmpty)
    }
}
