import XCTest
import Synchronization
@testable import Weir
import WeirTestSupport

final class FailurePropagationTests: XCTestCase {
    /// A user function throws in the middle of an unbounded parallel job: `execute()` ends with
    /// that error, naming the operator and subtask, within a second, and no thread is left
    /// behind (the test would hang otherwise).
    func testThrowingUserFunctionFailsTheJobWithinASecond() throws {
        let env = StreamEnvironment(parallelism: 2)
        let thrownAt = Atomic<UInt64>(0)
        env.addSource(GeneratorSource(count: nil) { StreamRecord($0, timestamp: $0) }, name: "Endless")
            .keyBy { $0 % 100 }
            .map(name: "Explode") { (value: Int64) -> Int64 in
                if value == 300_001 {
                    thrownAt.store(ProcessingClock.monotonicNanoseconds(), ordering: .relaxed)
                    throw InjectedFailure(message: "boom at \(value)")
                }
                return value
            }
            .keyBy { $0 % 7 }
            .reduce(+)
            .sink(DiscardingSink())
        XCTAssertThrowsError(try env.execute()) { error in
            let returnedAt = ProcessingClock.monotonicNanoseconds()
            guard let failure = error as? OperatorFailure else { return XCTFail("expected OperatorFailure, got \(error)") }
            XCTAssertEqual(failure.location.operatorName, "Explode")
            XCTAssertEqual(failure.location.parallelism, 2)
            XCTAssertEqual(failure.underlying as? InjectedFailure, InjectedFailure(message: "boom at 300001"))
            XCTAssertTrue(failure.description.contains("'Explode' (subtask"), failure.description)
            let seconds = Double(returnedAt - thrownAt.load(ordering: .relaxed)) / 1e9
            XCTAssertLessThan(seconds, 1.0, "execute() must return within a second of the failure")
        }
    }

    func testFailingSourceReaderFailsTheJob() {
        struct BrokenSource: Source {
            func makeReader(_ context: SourceContext) throws -> Reader { Reader() }
            struct Reader: SourceReader {
                mutating func poll(into batch: inout [StreamRecord<Int>], maxRecords: Int) throws -> SourcePoll {
                    throw InjectedFailure(message: "disk on fire")
                }
            }
        }
        let env = StreamEnvironment(parallelism: 3)
        env.addSource(BrokenSource(), name: "Broken").keyBy { $0 }.reduce(+).sink(DiscardingSink())
        XCTAssertThrowsError(try env.execute()) { error in
            XCTAssertEqual((error as? OperatorFailure)?.location.operatorName, "Broken")
            XCTAssertEqual((error as? OperatorFailure)?.underlying as? InjectedFailure, InjectedFailure(message: "disk on fire"))
        }
    }

    func testFailingSinkBehindABlockedPipelineStillStopsEveryThread() {
        struct SlowThenBrokenSink: Sink {
            func makeWriter(_ context: SinkContext) throws -> Writer { Writer() }
            final class Writer: SinkWriter {
                var written = 0
                func write(_ value: Int64, timestamp: Int64) throws {
                    written += 1
                    if written == 5_000 { throw InjectedFailure(message: "sink full") }
                }
            }
        }
        let env = StreamEnvironment(parallelism: 2)
        env.runtime.channelCapacity = 1
        env.runtime.batchSize = 16
        env.addSource(GeneratorSource(count: nil) { StreamRecord($0) }).rebalance().sink(SlowThenBrokenSink(), name: "Broken sink")
        XCTAssertThrowsError(try env.execute()) { error in
            XCTAssertEqual((error as? OperatorFailure)?.location.operatorName, "Broken sink")
        }
    }

    func testInvalidParallelismIsReportedBeforeAnythingRuns() {
        let env = StreamEnvironment(parallelism: 2)
        env.maxParallelism = 4
        env.fromCollection([1]).map { $0 }.parallelism(8).sink(DiscardingSink())
        XCTAssertThrowsError(try env.execute()) { error in
            XCTAssertTrue("\(error)".contains("above the max parallelism 4"), "\(error)")
        }
        XCTAssertThrowsError(try StreamEnvironment(parallelism: 1).execute()) { error in
            XCTAssertTrue("\(error)".contains("no operators"), "\(error)")
        }
    }
}

extension FailurePropagationTests {
    func testCancelStopsAnUnboundedJobAndExecuteSaysSo() throws {
        let env = StreamEnvironment(parallelism: 2)
        env.addSource(GeneratorSource(count: nil) { StreamRecord($0) }).keyBy { $0 % 10 }.reduce(+).sink(DiscardingSink())
        let cancellation = env.cancellation
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { cancellation.cancel() }
        XCTAssertThrowsError(try env.execute()) { error in
            guard case JobError.cancelled = error else { return XCTFail("expected cancelled, got \(error)") }
        }
        // A cancellation does not carry over to the next run.
        let bounded = StreamEnvironment(parallelism: 1)
        bounded.addSource(GeneratorSource(count: 10) { StreamRecord($0) }).sink(DiscardingSink())
        bounded.cancel()
        XCTAssertNoThrow(try bounded.execute())
    }
}
