import Weir

/// The seeded input of Weir's reference pipeline, shared by `weir run`, the benchmarks and
/// the tests so that all of them mean the same job.
///
/// Event *i* has key `i mod keys`, a value in `0..<100` drawn from ``SplitMix64`` seeded with
/// `seed ^ i`, and event time `i · 1000 / eventsPerSecond` ms, displaced backwards by up to
/// `disorderMilliseconds` (seeded too, never below 0) to make the stream out of order.
public struct ReferenceWorkload: Sendable, Hashable {
    public var events: Int64
    public var keys: Int
    /// Events per second of event time.
    public var eventsPerSecond: Int64
    /// Maximum backwards displacement of an event's timestamp.
    public var disorderMilliseconds: Int64
    public var seed: UInt64

    public init(events: Int64, keys: Int = 10_000, eventsPerSecond: Int64 = 100_000, disorderMilliseconds: Int64 = 0, seed: UInt64 = 42) {
        precondition(events >= 0 && keys > 0 && eventsPerSecond > 0 && disorderMilliseconds >= 0)
        self.events = events
        self.keys = keys
        self.eventsPerSecond = eventsPerSecond
        self.disorderMilliseconds = disorderMilliseconds
        self.seed = seed
    }

    /// Event `index`, with its event timestamp.
    @inlinable
    public func event(_ index: Int64) -> StreamRecord<ReferenceEvent> {
        var random = SplitMix64(seed: seed ^ UInt64(bitPattern: index))
        let value = Int64(random.next() % 100)
        var timestamp = index * 1_000 / eventsPerSecond
        if disorderMilliseconds > 0 { timestamp = max(0, timestamp - Int64(random.next() % UInt64(disorderMilliseconds + 1))) }
        return StreamRecord(ReferenceEvent(key: Int(index % Int64(keys)), value: value), timestamp: timestamp)
    }

    /// Every event in index order, with its event timestamp: what `weir produce` writes to
    /// Kafka (as ``ReferenceEvent/line(_:)``, keyed by the event's key).
    public var records: LazyMapSequence<Range<Int64>, StreamRecord<ReferenceEvent>> {
        let workload = self
        return (0..<events).lazy.map { workload.event($0) }
    }

    /// The workload as a parallel generator source.
    public var source: GeneratorSource<ReferenceEvent> {
        let workload = self
        return GeneratorSource(count: events) { workload.event($0) }
    }

    /// The watermark strategy that makes no event late: out-of-orderness = the disorder.
    ///
    /// Watermarks come every 100 ms of *event* time (counted in records). The generator runs
    /// event time about a hundred times faster than the wall clock, so a processing-time period
    /// (the default 200 ms) would keep some twenty seconds of windows open; in a live stream,
    /// where event time follows the clock, the default keeps about as much open as this does.
    public var watermarkStrategy: WatermarkStrategy<ReferenceEvent> {
        WatermarkStrategy.boundedOutOfOrderness(.milliseconds(disorderMilliseconds))
            .emittingWatermarks(everyRecords: Int(max(1, eventsPerSecond / 10)))
    }

    /// The reference pipeline: generator → timestamps/watermarks → keyBy(key) → tumbling
    /// event-time window sum.
    public func windowSums(in environment: StreamEnvironment, windowMilliseconds: Int64 = 1_000) -> DataStream<WindowSum> {
        environment.addSource(source, name: "Generator")
            .assignTimestampsAndWatermarks(watermarkStrategy)
            .keyBy { $0.key }
            .window(.tumbling(size: .milliseconds(windowMilliseconds)))
            .aggregate(name: "WindowSum", SumAggregate()) { key, window, total in
                WindowSum(key: key, windowStart: window.start, windowEnd: window.end, sum: total.sum, count: total.count)
            }
    }

    /// The keyed running-sum pipeline: generator → keyBy(key) → rolling sum per key.
    public func runningSums(in environment: StreamEnvironment) -> DataStream<ReferenceEvent> {
        environment.addSource(source, name: "Generator")
            .keyBy { $0.key }
            .reduce(name: "RunningSum") { ReferenceEvent(key: $0.key, value: $0.value + $1.value) }
    }

    /// The window sums computed directly, without the engine: the expectation tests compare
    /// against, and the speed limit benchmarks compare with.
    public func expectedWindowSums(windowMilliseconds: Int64 = 1_000) -> [WindowSum] {
        Self.windowSums(of: (0..<events).lazy.map(event), windowMilliseconds: windowMilliseconds)
    }

    /// The tumbling-window sums of `records`, computed without the engine (none is late).
    public static func windowSums(of records: some Sequence<StreamRecord<ReferenceEvent>>, windowMilliseconds: Int64 = 1_000) -> [WindowSum] {
        var sums: [Slot: (sum: Int64, count: Int64)] = [:]
        for record in records {
            let remainder = record.timestamp % windowMilliseconds
            let start = record.timestamp - (remainder < 0 ? remainder + windowMilliseconds : remainder)
            sums[Slot(key: record.value.key, start: start), default: (0, 0)].sum += record.value.value
            sums[Slot(key: record.value.key, start: start), default: (0, 0)].count += 1
        }
        return sums.map { WindowSum(key: $0.key.key, windowStart: $0.key.start, windowEnd: $0.key.start + windowMilliseconds, sum: $0.value.sum, count: $0.value.count) }
            .sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
    }
}

/// Sum and count of ``ReferenceEvent`` values.
public struct SumAggregate: AggregateFunction {
    public struct Total: Sendable, Codable, Hashable {
        public var sum: Int64
        public var count: Int64

        public init(sum: Int64 = 0, count: Int64 = 0) {
            self.sum = sum
            self.count = count
        }
    }

    public init() {}

    public func createAccumulator() -> Total { Total() }
    public func add(_ value: ReferenceEvent, to accumulator: inout Total) {
        accumulator.sum += value.value
        accumulator.count += 1
    }
    public func result(_ accumulator: Total) -> Total { accumulator }
    public func merge(_ a: Total, _ b: Total) -> Total { Total(sum: a.sum + b.sum, count: a.count + b.count) }
}

/// A key's window, for computing window sums without the engine.
@usableFromInline struct Slot: Hashable {
    @usableFromInline var key: Int
    @usableFromInline var start: Int64
}
