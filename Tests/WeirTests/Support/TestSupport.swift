import Foundation
import Synchronization
import Weir
import WeirReferenceJobs

/// An event with an explicit key, value and event timestamp, for hand-written inputs.
struct Reading: Sendable, Hashable, Codable {
    var key: String
    var value: Int
    var time: Int64
}

/// Sorts window sums the way expectations are sorted.
func sortedSums(_ sums: [WindowSum]) -> [WindowSum] {
    sums.sorted { ($0.windowStart, $0.key, $0.windowEnd) < ($1.windowStart, $1.key, $1.windowEnd) }
}

/// A source whose subtask emits `records` and then stays open, producing nothing, for
/// `lingerMilliseconds` before it finishes: lets tests observe what happens while a source is
/// alive but quiet.
struct LingeringSource<Output: Sendable>: Source {
    let records: [StreamRecord<Output>]
    let lingerMilliseconds: Int

    var maxParallelism: Int? { 1 }

    func makeReader(_ context: SourceContext) throws -> Reader { Reader(source: self) }

    struct Reader: SourceReader {
        let source: LingeringSource
        var emitted = false
        var quietSince: UInt64 = 0

        mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
            if !emitted {
                batch.append(contentsOf: source.records)
                emitted = true
                quietSince = ProcessingClock.monotonicNanoseconds()
                return .more
            }
            let quiet = (ProcessingClock.monotonicNanoseconds() - quietSince) / 1_000_000
            return quiet >= UInt64(source.lingerMilliseconds) ? .finished : .pause(milliseconds: 10)
        }
    }
}

/// Records when each value reached the sink (wall clock), for ordering checks across tasks.
final class TimedCollectSink<Input: Sendable>: Sink, Sendable {
    private let collected = Mutex<[(value: Input, atMilliseconds: Int64)]>([])

    var entries: [(value: Input, atMilliseconds: Int64)] { collected.withLock { $0 } }

    func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    final class Writer: SinkWriter {
        let sink: TimedCollectSink
        init(sink: TimedCollectSink) { self.sink = sink }
        func write(_ value: Input, timestamp: Int64) throws {
            let now = ProcessingClock.nowMilliseconds()
            sink.collected.withLock { $0.append((value, now)) }
        }
    }
}

struct InjectedFailure: Error, Equatable {
    var message: String
}

/// Records every value as soon as it is written (no buffering), so that what a failed attempt
/// emitted is kept too: an at-least-once view of a job's output across restarts.
final class ImmediateCollectSink<Input: Sendable>: Sink, Sendable {
    private let collected = Mutex<[Input]>([])

    var values: [Input] { collected.withLock { $0 } }

    func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    final class Writer: SinkWriter {
        let sink: ImmediateCollectSink
        init(sink: ImmediateCollectSink) { self.sink = sink }
        func write(_ value: Input, timestamp: Int64) throws { sink.collected.withLock { $0.append(value) } }
    }
}
