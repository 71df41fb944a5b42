// The examples of the API documentation (the doc comments of StreamEnvironment,
// KeyedProcessFunction, StableHasher and WatermarkStrategy), each between markers, in one
// program that runs: the test suite runs it and checks what it prints.
import Weir

struct Event: Sendable, Codable { var key: Int; var value: Int }

// Doc: StableHasher
struct SensorKey: StreamKey {
    var site: String, sensor: Int
    func stableHash(into hasher: inout StableHasher) {
        site.stableHash(into: &hasher)
        sensor.stableHash(into: &hasher)
    }
}
// Doc: end

struct Reading: Sendable, Codable { var key: SensorKey; var time: Int64; var celsius: Double }

// Doc: KeyedProcessFunction
final class CountWithTimeout: KeyedProcessFunction {
    var count: ValueState<Int>!
    func open(_ context: KeyedRuntimeContext<String>) throws {
        count = try context.state(ValueStateDescriptor<Int>("count"))
    }
    func processElement(_ word: String, context: KeyedProcessContext<String, (String, Int)>) throws {
        count.value = (count.value ?? 0) + 1
        context.registerEventTimeTimer(at: context.timestamp + 60_000)
    }
    func onTimer(_ timestamp: Int64, domain: TimeDomain, context: KeyedProcessContext<String, (String, Int)>) throws {
        try context.collect((context.key, count.value ?? 0))
    }
}
// Doc: end

do {
    // Doc: StreamEnvironment
    let env = StreamEnvironment(parallelism: 2)
    let counts = env.addSource(GeneratorSource(count: 10_000) { i in
            StreamRecord(Event(key: Int(i % 100), value: 1), timestamp: i)
        })
        .keyBy { $0.key }
        .window(.tumbling(size: .seconds(1)))
        .reduce { Event(key: $0.key, value: $0.value + $1.value) }
    counts.print()
    try env.execute("counts")
    // Doc: end
}

do {
    let env = StreamEnvironment(parallelism: 1)
    let words = ["weir", "stream", "weir", "barrier", "weir"].enumerated().map { StreamRecord($0.element, timestamp: Int64($0.offset) * 1_000) }
    env.addSource(CollectionSource(records: words))
        .assignTimestampsAndWatermarks(.monotonousTimestamps())
        .keyBy { $0 }
        .process { CountWithTimeout() }
        .map { "\($0.0)=\($0.1)" }
        .print("count")
    try env.execute("word counts")
}

do {
    let env = StreamEnvironment(parallelism: 1)
    let stream = env.addSource(CollectionSource([
        Reading(key: SensorKey(site: "north", sensor: 1), time: 1_000, celsius: 20.5),
        Reading(key: SensorKey(site: "north", sensor: 1), time: 2_000, celsius: 21.0),
        Reading(key: SensorKey(site: "south", sensor: 2), time: 1_500, celsius: 18.0),
    ]))
    // Doc: WatermarkStrategy
    let strategy = WatermarkStrategy<Reading>
        .boundedOutOfOrderness(.seconds(5))
        .withTimestampAssigner { $0.time }
        .withIdleness(.seconds(30))
    let readings = stream.assignTimestampsAndWatermarks(strategy)
    // Doc: end
    readings
        .keyBy { $0.key }
        .window(.tumbling(size: .minutes(1)))
        .process { (key: SensorKey, window: TimeWindow, readings: [Reading], out: WindowCollector<String>) in
            try out.collect("\(key.site)/\(key.sensor): \(readings.count) readings, max \(readings.map(\.celsius).max()!)")
        }
        .print("sensor")
    try env.execute("sensors")
}
