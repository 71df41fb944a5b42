import XCTest
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

final class TransformationTests: XCTestCase {
    func testMapFilterFlatMapAreTypedEndToEnd() throws {
        let env = StreamEnvironment(parallelism: 2)
        let sink = CollectSink<String>()
        env.fromCollection(["the quick brown fox", "jumps over", "the lazy dog"])
            .flatMap { $0.split(separator: " ").map(String.init) }
            .filter { $0.count > 3 }
            .map { $0.uppercased() }
            .sink(sink)
        try env.execute()
        XCTAssertEqual(sink.values.sorted(), ["BROWN", "JUMPS", "LAZY", "OVER", "QUICK"])
    }

    func testOperatorsWithoutRepartitioningAreChainedIntoOneTask() throws {
        let env = StreamEnvironment(parallelism: 2)
        let numbers: DataStream<Int64> = env.addSource(GeneratorSource(count: 10) { StreamRecord($0) }, name: "Numbers")
        let evens = numbers
            .map(name: "Double") { (value: Int64) -> Int64 in value * 2 }
            .filter(name: "Even") { (value: Int64) -> Bool in value % 4 == 0 }
        evens.keyBy { (value: Int64) -> Int64 in value % 3 }
            .reduce(name: "Sum", +)
            .sink(DiscardingSink(), name: "Discard")
        XCTAssertEqual(try env.explain(), "Numbers → Double → Even ×2\nSum → Discard ×2")
    }

    func testRollingReduceEmitsRunningValuePerKey() throws {
        let env = StreamEnvironment(parallelism: 3)
        let sink = CollectSink<ReferenceEvent>()
        env.addSource(GeneratorSource(count: 3_000) { StreamRecord(ReferenceEvent(key: Int($0 % 3), value: $0)) })
            .keyBy { $0.key }
            .reduce { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
            .sink(sink)
        try env.execute()
        let values = sink.values
        XCTAssertEqual(values.count, 3_000, "one output per input")
        for key in 0..<3 {
            let expectedTotal = stride(from: Int64(key), to: 3_000, by: 3).reduce(0, +)
            XCTAssertEqual(values.filter { $0.key == key }.map(\.value).max(), expectedTotal, "key \(key)")
        }
    }

    func testRollingAggregateWithAggregateFunction() throws {
        struct Average: AggregateFunction {
            func createAccumulator() -> [Int] { [0, 0] }
            func add(_ value: Reading, to accumulator: inout [Int]) { accumulator[0] += value.value; accumulator[1] += 1 }
            func result(_ accumulator: [Int]) -> Double { Double(accumulator[0]) / Double(accumulator[1]) }
            func merge(_ a: [Int], _ b: [Int]) -> [Int] { [a[0] + b[0], a[1] + b[1]] }
        }
        let env = StreamEnvironment(parallelism: 1)
        let sink = CollectSink<Double>()
        env.fromCollection([Reading(key: "x", value: 2, time: 0), Reading(key: "x", value: 4, time: 0), Reading(key: "y", value: 10, time: 0)])
            .keyBy { $0.key }
            .aggregate(Average())
            .sink(sink)
        try env.execute()
        XCTAssertEqual(sink.values, [2, 3, 10])
    }

    func testUnionMergesStreamsOfTheSameType() throws {
        let env = StreamEnvironment(parallelism: 2)
        let evens = env.addSource(GeneratorSource(count: 500) { StreamRecord($0 * 2) })
        let odds = env.addSource(GeneratorSource(count: 500) { StreamRecord($0 * 2 + 1) }).parallelism(1)
        let tens = env.fromCollection([Int64(-10), -20])
        let sink = CollectSink<Int64>()
        evens.union(odds, tens).map { $0 }.sink(sink)
        try env.execute()
        XCTAssertEqual(sink.values.sorted(), [-20, -10] + Array(0..<1_000))
    }

    func testParallelismAndNameAreConfigurablePerOperator() throws {
        let env = StreamEnvironment(parallelism: 4)
        let sink = CollectSink<Int64>()
        env.addSource(GeneratorSource(count: 100) { StreamRecord($0) }).parallelism(1).name("Single source")
            .map { $0 + 1 }.parallelism(3)
            .sink(sink).parallelism(2)
        XCTAssertEqual(try env.explain(), "Single source ×1\nMap ×3\nSink ×2")
        try env.execute()
        XCTAssertEqual(sink.values.sorted(), Array(1...100))
    }

    func testAsyncExecuteRunsTheJob() async throws {
        let env = StreamEnvironment(parallelism: 2)
        let sink = CollectSink<Int64>()
        env.addSource(GeneratorSource(count: 1_000) { StreamRecord($0) }).keyBy { $0 % 10 }.reduce(+).sink(sink)
        let result = try await env.execute("async")
        XCTAssertEqual(result.jobName, "async")
        XCTAssertEqual(sink.values.count, 1_000)
    }
}

final class PrintSinkTests: XCTestCase {
    func testPrintSinkLabelsValuesLikeFlink() throws {
        func lines(prefix: String, subtask: Int, parallelism: Int) throws -> String {
            let writer = try PrintSink<Int>(prefix: prefix).makeWriter(SinkContext(subtask: subtask, parallelism: parallelism, operatorName: "Print"))
            return writer.label
        }
        XCTAssertEqual(try lines(prefix: "", subtask: 0, parallelism: 1), "")
        XCTAssertEqual(try lines(prefix: "", subtask: 1, parallelism: 2), "2> ")
        XCTAssertEqual(try lines(prefix: "late", subtask: 0, parallelism: 1), "late> ")
        XCTAssertEqual(try lines(prefix: "late", subtask: 2, parallelism: 4), "late:3> ")
    }
}
