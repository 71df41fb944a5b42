import XCTest
@testable import Weir
import WeirTestSupport

/// Flink's classic example: count per key, and emit the count once a key has been quiet for a
/// minute of event time.
final class CountWithTimeout: KeyedProcessFunction {
    struct Seen: Codable, Sendable { var count: Int; var lastModified: Int64 }
    var state: ValueState<Seen>!

    func open(_ context: KeyedRuntimeContext<String>) throws {
        state = try context.state(ValueStateDescriptor<Seen>("seen"))
    }

    func processElement(_ value: Reading, context: KeyedProcessContext<String, String>) throws {
        let seen = Seen(count: (state.value?.count ?? 0) + 1, lastModified: context.timestamp)
        state.value = seen
        context.registerEventTimeTimer(at: seen.lastModified + 60_000)
    }

    func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<String, String>) throws {
        guard let seen = state.value, timestamp == seen.lastModified + 60_000 else { return }
        try context.collect("\(context.key)=\(seen.count)@\(timestamp)")
    }
}

final class KeyedProcessFunctionTests: XCTestCase {
    func testEventTimeTimersFireWithKeyedStateOfTheirKey() throws {
        let readings = [
            Reading(key: "a", value: 1, time: 0), Reading(key: "b", value: 1, time: 10_000),
            Reading(key: "a", value: 1, time: 30_000), Reading(key: "a", value: 1, time: 100_000),
            Reading(key: "b", value: 1, time: 200_000), Reading(key: "c", value: 1, time: 200_001),
        ]
        for parallelism in [1, 3] {
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = CollectSink<String>()
            env.fromCollection(readings)
                .assignTimestampsAndWatermarks(WatermarkStrategy.monotonousTimestamps().withTimestampAssigner { $0.time }.emittingWatermarks(everyRecords: 1))
                .parallelism(1)  // with the collection source's parallelism, so records stay in order
                .keyBy { $0.key }
                .process { CountWithTimeout() }
                .sink(sink)
            try env.execute()
            // a's timers at 60,000 and 90,000 fire at watermark 99,999, which follows the record
            // at 100,000: by then a was modified again, so only its last timer reports.
            XCTAssertEqual(sink.values.sorted(), ["a=3@160000", "b=1@70000", "b=2@260000", "c=1@260001"], "parallelism \(parallelism)")
        }
    }

    func testProcessingTimeTimersFireWhileTheJobRuns() throws {
        final class Reminder: KeyedProcessFunction {
            func processElement(_ value: String, context: KeyedProcessContext<String, String>) throws {
                context.registerProcessingTimeTimer(at: context.currentProcessingTime + 100)
            }
            func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<String, String>) throws {
                try context.collect("\(context.key) \(domain == .processingTime ? "processing" : "event")")
            }
        }
        let env = StreamEnvironment(parallelism: 2)
        let sink = CollectSink<String>()
        env.addSource(LingeringSource(records: [StreamRecord("x"), StreamRecord("y")], lingerMilliseconds: 600))
            .keyBy { $0 }
            .process { Reminder() }
            .sink(sink)
        try env.execute()
        XCTAssertEqual(sink.values.sorted(), ["x processing", "y processing"])
    }

    func testSideOutputOfAProcessFunction() throws {
        final class Splitter: KeyedProcessFunction {
            static let odd = OutputTag<Int>("odd")
            func processElement(_ value: Int, context: KeyedProcessContext<Int, Int>) throws {
                if value % 2 == 0 { try context.collect(value) } else { try context.output(Self.odd, value) }
            }
        }
        let env = StreamEnvironment(parallelism: 2)
        let evens = CollectSink<Int>(), odds = CollectSink<Int>()
        let split = env.fromCollection(Array(0..<20)).keyBy { $0 % 5 }.process { Splitter() }
        split.sink(evens)
        split.sideOutput(Splitter.odd).map { $0 * 100 }.sink(odds)
        try env.execute()
        XCTAssertEqual(evens.values.sorted(), Array(stride(from: 0, to: 20, by: 2)))
        XCTAssertEqual(odds.values.sorted(), stride(from: 1, to: 20, by: 2).map { $0 * 100 })
    }
}
