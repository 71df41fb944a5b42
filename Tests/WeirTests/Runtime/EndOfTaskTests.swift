import XCTest
@testable import Weir

/// The end of a task: every event in every state, and both orders.
final class EndOfTaskTests: XCTestCase {
    func testTheOutputEndsOnlyOnceInputEndedAndTheFinalCheckpointCompletedInEitherOrder() {
        var sourceLike = EndOfTask(checkpointing: true)
        sourceLike.inputDidEnd()
        XCTAssertEqual(sourceLike, .awaitingFinalCheckpoint)
        XCTAssertFalse(sourceLike.mayEndOutput, "a source waits for the final checkpoint, taking part in checkpoints")
        sourceLike.finalCheckpointDidComplete()
        XCTAssertTrue(sourceLike.mayEndOutput)

        var downstream = EndOfTask(checkpointing: true)
        downstream.finalCheckpointDidComplete()
        XCTAssertEqual(downstream, .finalCheckpointCompleted)
        XCTAssertFalse(downstream.mayEndOutput, "records may still come: its input has not ended")
        downstream.inputDidEnd()
        XCTAssertTrue(downstream.mayEndOutput)
    }

    func testRepeatedEventsChangeNothing() {
        for start in [EndOfTask.running, .finalCheckpointCompleted, .awaitingFinalCheckpoint, .ended] {
            var twiceComplete = start
            twiceComplete.finalCheckpointDidComplete()
            let once = twiceComplete
            twiceComplete.finalCheckpointDidComplete()
            XCTAssertEqual(twiceComplete, once, "from \(start)")
            var twiceEnded = start
            twiceEnded.inputDidEnd()
            let onceEnded = twiceEnded
            twiceEnded.inputDidEnd()
            XCTAssertEqual(twiceEnded, onceEnded, "from \(start)")
        }
        var ended = EndOfTask.ended
        ended.inputDidEnd()
        ended.finalCheckpointDidComplete()
        XCTAssertEqual(ended, .ended)
    }

    func testWithoutCheckpointsTheEndOfInputEndsTheTask() {
        var task = EndOfTask(checkpointing: false)
        XCTAssertFalse(task.mayEndOutput)
        task.inputDidEnd()
        XCTAssertTrue(task.mayEndOutput)
    }
}
