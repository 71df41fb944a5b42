import XCTest
@testable import WeirS3

final class RunLineageTests: XCTestCase {
    func claim(_ epoch: Int64, parent: (Int64, Int64)? = nil) -> RunClaim {
        RunClaim(epoch: epoch, run: "r\(epoch)", owner: "test", parent: parent.map { RunClaim.Parent(runKey: RunClaim.key(epoch: $0.0, run: "r\($0.0)"), upTo: $0.1) })
    }

    func testAParentCountsOnlyUpToWhatWasCompleteWhenTheChildClaimed() {
        // Run 1 completed 1…10 when run 2 claimed; run 2 completed 11, 12; run 3 claims.
        let claims = [claim(1), claim(2, parent: (1, 10)), claim(3, parent: (2, 12))]
        let byKey = Dictionary(uniqueKeysWithValues: claims.map { ($0.key, $0) })
        let lineage = RunLineage(head: claims[2].key, claims: byKey)
        XCTAssertEqual(lineage.links.map(\.runKey), [claims[2].key, claims[1].key, claims[0].key])
        XCTAssertTrue(lineage.contains(runKey: claims[0].key, checkpointID: 10))
        XCTAssertFalse(lineage.contains(runKey: claims[0].key, checkpointID: 11), "run 1 completed 11 after run 2 claimed: a zombie's")
        XCTAssertTrue(lineage.contains(runKey: claims[1].key, checkpointID: 12))
        XCTAssertFalse(lineage.contains(runKey: claims[1].key, checkpointID: 13))
        XCTAssertTrue(lineage.contains(runKey: claims[2].key, checkpointID: 1_000), "the head counts all its own")
    }

    func testAFreshRunStartsALineageOfItsOwn() {
        let claims = [claim(1), claim(2)]
        let lineage = RunLineage(head: claims[1].key, claims: Dictionary(uniqueKeysWithValues: claims.map { ($0.key, $0) }))
        XCTAssertEqual(lineage.links.map(\.runKey), [claims[1].key])
        XCTAssertFalse(lineage.contains(runKey: claims[0].key, checkpointID: 1))
    }

    func testARunThatCompletedNothingPassesOnItsParent() {
        // Run 2 crashed before its first checkpoint (upTo 0 for it when run 3 claimed).
        let claims = [claim(1), claim(2, parent: (1, 7)), claim(3, parent: (2, 0))]
        let lineage = RunLineage(head: claims[2].key, claims: Dictionary(uniqueKeysWithValues: claims.map { ($0.key, $0) }))
        XCTAssertFalse(lineage.contains(runKey: claims[1].key, checkpointID: 1))
        XCTAssertTrue(lineage.contains(runKey: claims[0].key, checkpointID: 7))
    }

    func testTheLineageEndsWhereAClaimIsGone() {
        let kept = [claim(5, parent: (4, 3)), claim(6, parent: (5, 9))]
        let lineage = RunLineage(head: kept[1].key, claims: Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0) }))
        XCTAssertEqual(lineage.links.count, 3, "run 4 is named by run 5's claim, and its own claim (deleted) would lead no further")
        XCTAssertEqual(RunLineage.newest(kept)?.epoch, 6)
    }
}
