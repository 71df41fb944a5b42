import Foundation
import Synchronization
import Weir
import WeirReferenceJobs

/// An event with an explicit key, value and event timestamp, for hand-written inputs.
package struct Reading: Sendable, Hashable, Codable {
    package var key: String
    package var value: Int
    package var time: Int64

    package init(key: String, value: Int, time: Int64) {
        self.key = key
        self.value = value
        self.time = time
    }
}

/// Sorts window sums the way expectations are sorted.
package func sortedSums(_ sums: [WindowSum]) -> [WindowSum] {
    sums.sorted { ($0.windowStart, $0.key, $0.windowEnd) < ($1.windowStart, $1.key, $1.windowEnd) }
}

/// A source whose subtask emits `records` and then stays open, producing nothing, for
/// `lingerMilliseconds` before it finishes: lets tests observe what happens while a source is
/// alive but quiet.
package struct LingeringSource<Output: Sendable>: Source {
    package let records: [StreamRecord<Output>]
    package let lingerMilliseconds: Int

    package init(records: [StreamRecord<Output>], lingerMilliseconds: Int) {
        self.records = records
        self.lingerMilliseconds = lingerMilliseconds
    }

    package var maxParallelism: Int? { 1 }

    package func makeReader(_ context: SourceContext) throws -> Reader { Reader(source: self) }

    package struct Reader: SourceReader {
        package let source: LingeringSource
        package var emitted = false
        package var quietSince: UInt64 = 0

        package mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
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
package final class TimedCollectSink<Input: Sendable>: Sink, Sendable {
    private let collected = Mutex<[(value: Input, atMilliseconds: Int64)]>([])
    package init() {}

    package var entries: [(value: Input, atMilliseconds: Int64)] { collected.withLock { $0 } }

    package func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    package final class Writer: SinkWriter {
        package let sink: TimedCollectSink
        package init(sink: TimedCollectSink) { self.sink = sink }
        package func write(_ value: Input, timestamp: Int64) throws {
            let now = ProcessingClock.nowMilliseconds()
            sink.collected.withLock { $0.append((value, now)) }
        }
    }
}

package struct InjectedFailure: Error, Equatable {
    package var message: String

    package init(message: String) { self.message = message }
}

/// Records every value as soon as it is written (no buffering), so that what a failed attempt
/// emitted is kept too: an at-least-once view of a job's output across restarts.
package final class ImmediateCollectSink<Input: Sendable>: Sink, Sendable {
    private let collected = Mutex<[Input]>([])
    package init() {}

    package var values: [Input] { collected.withLock { $0 } }

    package func makeWriter(_ context: SinkContext) throws -> Writer { Writer(sink: self) }

    package final class Writer: SinkWriter {
        package let sink: ImmediateCollectSink
        package init(sink: ImmediateCollectSink) { self.sink = sink }
        package func write(_ value: Input, timestamp: Int64) throws { sink.collected.withLock { $0.append(value) } }
    }
}
