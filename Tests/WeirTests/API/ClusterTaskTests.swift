import XCTest
@_spi(ClusterRunner) @testable import Weir
import WeirReferenceJobs
import WeirTestSupport

/// A cluster task's job, run in this process as a cluster runner runs it: the stage of one
/// partition at parallelism 1, whose `keyBy` checks each record against the key groups its
/// partition holds.
final class ClusterTaskTests: XCTestCase {
    /// An input partitioned by key group as a repartition topic is: partition p of `partitions`
    /// holds the events whose key is in the key groups subtask p of `partitions` owns.
    private struct KeyGroupedInput: PartitionedSource {
        typealias Reader = CollectionSource<ReferenceEvent>.Reader
        let partitions: [[ReferenceEvent]]
        var only: Int32?

        init(_ events: [ReferenceEvent], partitions: Int, maxParallelism: Int) {
            var split = Array(repeating: [ReferenceEvent](), count: partitions)
            for event in events {
                let keyGroup = KeyGroupRange.keyGroup(of: event.key, maxParallelism: maxParallelism)
                split[KeyGroupRange.subtask(owning: keyGroup, parallelism: partitions, maxParallelism: maxParallelism)].append(event)
            }
            self.partitions = split
        }

        var partitionedInputs: [String] { ["events-by-key"] }
        var isPartitionedByKey: Bool { true }
        func reading(partition: Int32, of input: String) -> Self {
            var source = self
            source.only = partition
            return source
        }
        func keyGroups(ofPartition partition: Int32, of input: String, maxParallelism: Int) -> KeyGroupRange? {
            .forSubtask(Int(partition), parallelism: partitions.count, maxParallelism: maxParallelism)
        }
        func makeReader(_ context: SourceContext) throws -> Reader {
            try CollectionSource(only.map { partitions[Int($0)] } ?? partitions.flatMap { $0 }).makeReader(context)
        }
    }

    private let events = (0..<2_000).map { ReferenceEvent(key: Int($0 % 50), value: $0) }

    private func job(key: @escaping @Sendable (ReferenceEvent) -> Int, into sink: CollectSink<ReferenceEvent>) -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: 2)
        env.addSource(KeyGroupedInput(events, partitions: 4, maxParallelism: env.maxParallelism), name: "Events")
            .keyBy(key)
            .reduce(name: "Sum") { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
            .sink(sink, name: "Sums")
        return env
    }

    func testEachTaskKeepsTheKeysOfItsPartitionWhenKeyedByTheKeyTheInputIsPartitionedBy() throws {
        let sink = CollectSink<ReferenceEvent>()
        let env = job(key: { $0.key }, into: sink)
        for partition in Int32(0)..<4 {
            try env.clusterTaskEnvironment(for: ClusterTask(input: "events-by-key", partition: partition, partitionCount: 4)).execute("task-\(partition)")
        }
        var totals: [Int: Int64] = [:]
        for event in sink.values { totals[event.key] = max(totals[event.key] ?? 0, event.value) }
        XCTAssertEqual(sink.values.count, events.count, "one running sum per event")
        for key in 0..<50 { XCTAssertEqual(totals[key], events.filter { $0.key == key }.map(\.value).reduce(0, +), "key \(key)") }
    }

    func testATaskKeyedByAnotherKeyThanItsInputIsPartitionedByStopsNamingTheOperatorAndPartition() throws {
        let env = job(key: { $0.key / 5 }, into: CollectSink<ReferenceEvent>())
        env.restartStrategy = .fixedDelay(attempts: 3, delay: .milliseconds(1))
        let task = try env.clusterTaskEnvironment(for: ClusterTask(input: "events-by-key", partition: 1, partitionCount: 4))
        XCTAssertThrowsError(try task.execute("task-1")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("operator 'Sum'") && message.contains("partition 1 of events-by-key"), message)
            XCTAssertTrue(message.contains("not the key the stream was repartitioned by"), message)
        }
    }
}
