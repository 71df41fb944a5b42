/// The values of an array, in order, by one subtask. With timestamps if given as records.
public struct CollectionSource<Output: Sendable>: Source {
    @usableFromInline let records: [StreamRecord<Output>]

    /// The values, without timestamps (assign them with a watermark strategy).
    @inlinable public init(_ values: [Output]) { records = values.map { StreamRecord($0) } }
    /// The records, with their timestamps.
    @inlinable public init(records: [StreamRecord<Output>]) { self.records = records }

    /// Order is the array's, so only one subtask reads.
    @inlinable public var maxParallelism: Int? { 1 }

    /// A reader from the first value.
    @inlinable public func makeReader(_ context: SourceContext) throws -> Reader { Reader(records: records) }

    /// A reader from the position a checkpoint recorded.
    @inlinable public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        var reader = Reader(records: records)
        // One split at most (parallelism 1); none means the collection was read to its end.
        reader.position = try splits.first.map { try BinaryStateDecoder().decode(Int.self, from: $0) } ?? records.count
        return reader
    }

    /// Reads the array from a position; its split is the position.
    public struct Reader: SourceReader {
        @usableFromInline let records: [StreamRecord<Output>]
        @usableFromInline var position = 0

        @inlinable init(records: [StreamRecord<Output>], position: Int = 0) {
            self.records = records
            self.position = position
        }

        /// The position, for a checkpoint.
        @inlinable public func snapshotSplits() throws -> [[UInt8]] {
            position < records.count ? [try BinaryStateEncoder().encode(position)] : []
        }

        /// Up to `maxRecords` next records; finished at the end of the array.
        @inlinable public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
            let end = min(records.count, position + maxRecords)
            batch.append(contentsOf: records[position..<end])
            position = end
            return position == records.count ? .finished : .more
        }
    }
}
