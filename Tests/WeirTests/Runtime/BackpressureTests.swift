import XCTest
import Synchronization
@testable import Weir

final class BackpressureTests: XCTestCase {
    /// A slow sink slows the source down: the number of records generated but not yet written
    /// never exceeds what the bounded channels and buffers can hold, whatever the source's speed.
    /// Counts shared by the generator and the slow sink.
    final class Progress: Sendable {
        let generated = Atomic<Int>(0)
        let maxInFlight = Atomic<Int>(0)
    }

    struct SlowSink: Sink {
        let progress: Progress
        func makeWriter(_ context: SinkContext) throws -> Writer { Writer(progress: progress) }
        final class Writer: SinkWriter {
            let progress: Progress
            var written = 0
            init(progress: Progress) { self.progress = progress }
            func write(_ value: Int, timestamp: Int64) throws {
                written += 1
                progress.maxInFlight.max(progress.generated.load(ordering: .relaxed) - written, ordering: .relaxed)
                usleep(200)
            }
        }
    }

    /// A slow sink slows the source down: the number of records generated but not yet written
    /// never exceeds what the bounded channels and buffers can hold, whatever the source's speed.
    func testSlowSinkSlowsTheSourceAndMemoryStaysBounded() throws {
        let progress = Progress()
        let env = StreamEnvironment(parallelism: 1)
        env.runtime.batchSize = 32
        env.runtime.channelCapacity = 2
        env.addSource(GeneratorSource(count: 3_000) { index in
            progress.generated.add(1, ordering: .relaxed)
            return StreamRecord(Int(index))
        })
        .rebalance()  // source and sink in two tasks, a channel between them
        .map { $0 }
        .sink(SlowSink(progress: progress))
        try env.execute()
        // The batch the source is emitting, the batch its blocked send holds, the channel's two
        // batches, and the batch the sink's task is working through: 5 × 32.
        let bound = 5 * 32
        XCTAssertEqual(progress.generated.load(ordering: .relaxed), 3_000)
        XCTAssertLessThanOrEqual(progress.maxInFlight.load(ordering: .relaxed), bound, "the source ran ahead of the slow sink by more than the channels hold")
        XCTAssertGreaterThan(progress.maxInFlight.load(ordering: .relaxed), 32, "the source did run ahead as far as the channel lets it")
    }

    func testGateBlocksSenderWhenFullAndReleasesItOnReceive() throws {
        let gate = InputGate<Int>(channelCount: 1, capacity: 2)
        try gate.send(.records([StreamRecord(1)]), on: 0)
        try gate.send(.records([StreamRecord(2)]), on: 0)
        let sent = Atomic<Bool>(false)
        let sender = Thread {
            try? gate.send(.records([StreamRecord(3)]), on: 0)
            sent.store(true, ordering: .relaxed)
        }
        sender.start()
        usleep(100_000)
        XCTAssertFalse(sent.load(ordering: .relaxed), "a full channel makes the sender wait")
        _ = try gate.receive(waitingUntil: nil)
        let deadline = Date().addingTimeInterval(2)
        while !sent.load(ordering: .relaxed) && Date() < deadline { usleep(1_000) }
        XCTAssertTrue(sent.load(ordering: .relaxed), "taking a message lets the sender go on")
        XCTAssertEqual(gate.queuedMessages, 2)
    }

    func testCancelWakesWaitingSenderAndReceiver() throws {
        let gate = InputGate<Int>(channelCount: 2, capacity: 1)
        try gate.send(.endOfInput, on: 0)
        let senderThrew = Atomic<Bool>(false)
        Thread {
            do { try gate.send(.endOfInput, on: 0) } catch { senderThrew.store(error is TaskCancelled, ordering: .relaxed) }
        }.start()
        usleep(50_000)
        gate.cancel()
        let deadline = Date().addingTimeInterval(2)
        while !senderThrew.load(ordering: .relaxed) && Date() < deadline { usleep(1_000) }
        XCTAssertTrue(senderThrew.load(ordering: .relaxed))
        XCTAssertThrowsError(try gate.receive(waitingUntil: Date().addingTimeInterval(5))) { XCTAssertTrue($0 is TaskCancelled) }
    }

    func testReceiveTakesChannelsInTurn() throws {
        let gate = InputGate<Int>(channelCount: 3, capacity: 4)
        for channel in 0..<3 { for value in 0..<2 { try gate.send(.records([StreamRecord(channel * 10 + value)]), on: channel) } }
        var order: [Int] = []
        while let (channel, _) = try gate.receive(waitingUntil: nil) { order.append(channel) }
        XCTAssertEqual(order, [0, 1, 2, 0, 1, 2])
    }
}
