import Foundation
import Weir

// The benchmark's window job as a user writes it, with nothing but Weir's public API: seeded
// click events → event-time watermarks → keyBy(user) → 1 s tumbling windows → count and sum
// per window → a sink that folds the results into a checksum. Prints one line:
// `events=N parallelism=P seconds=S events_per_second=R windows=W checksum=C`.

struct Click: Sendable {
    var user: Int
    var time: Int64
    var value: Int64
}

struct ClickTotals: AggregateFunction {
    struct Totals: Sendable, Codable, Hashable {
        var clicks: Int64 = 0
        var value: Int64 = 0
    }
    func createAccumulator() -> Totals { Totals() }
    func add(_ click: Click, to totals: inout Totals) {
        totals.clicks += 1
        totals.value += click.value
    }
    func result(_ totals: Totals) -> Totals { totals }
    func merge(_ a: Totals, _ b: Totals) -> Totals { Totals(clicks: a.clicks + b.clicks, value: a.value + b.value) }
}

struct WindowTotal: Sendable {
    var user: Int
    var windowStart: Int64
    var clicks: Int64
    var value: Int64
}

/// Folds every window total into a count and an order-independent checksum.
final class ChecksumSink: Sink, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var windows = 0
    private(set) var checksum: Int64 = 0

    final class Writer: SinkWriter {
        let sink: ChecksumSink
        var windows = 0
        var checksum: Int64 = 0
        init(sink: ChecksumSink) { self.sink = sink }
        func write(_ total: WindowTotal, timestamp: Int64) throws {
            windows += 1
            checksum &+= total.value &* 31 &+ total.windowStart &+ Int64(total.user) &+ total.clicks
        }
        func finish() throws {
            sink.lock.lock()
            sink.windows += windows
            sink.checksum &+= checksum
            sink.lock.unlock()
        }
    }

    func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }
}

func argument(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let parsed = Int(arguments[index + 1]) else { return value }
    return parsed
}

let events = argument("--events", default: 10_000_000)
let parallelism = argument("--parallelism", default: 1)
let users = 10_000
let eventsPerSecond: Int64 = 100_000

let env = StreamEnvironment(parallelism: parallelism)
let sink = ChecksumSink()
env.addSource(GeneratorSource(count: Int64(events)) { index in
    // SplitMix64 of the index: the same clicks in every run and in every subtask.
    var z = UInt64(bitPattern: index) &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    z ^= z >> 31
    let time = index * 1_000 / eventsPerSecond
    return StreamRecord(Click(user: Int(index % Int64(users)), time: time, value: Int64(z % 100)), timestamp: time)
})
.assignTimestampsAndWatermarks(WatermarkStrategy<Click>.boundedOutOfOrderness(.zero).emittingWatermarks(everyRecords: 10_000))
.keyBy { $0.user }
.window(.tumbling(size: .seconds(1)))
.aggregate(ClickTotals()) { user, window, totals in
    WindowTotal(user: user, windowStart: window.start, clicks: totals.clicks, value: totals.value)
}
.sink(sink)

let started = ContinuousClock.now
try env.execute("user job")
let elapsed = ContinuousClock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("events=\(events) parallelism=\(parallelism) seconds=\(String(format: "%.3f", seconds)) events_per_second=\(Int(Double(events) / seconds)) windows=\(sink.windows) checksum=\(sink.checksum)")
