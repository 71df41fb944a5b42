/// The values of an array, in order, by one subtask. With timestamps if given as records.
public struct CollectionSource<Output: Sendable>: Source {
    let records: [StreamRecord<Output>]

    public init(_ values: [Output]) { records = values.map { StreamRecord($0) } }
    public init(records: [StreamRecord<Output>]) { self.records = records }

    /// Order is the array's, so only one subtask reads.
    public var maxParallelism: Int? { 1 }

    public func makeReader(_ context: SourceContext) throws -> Reader { Reader(records: records) }

    public func restoreReader(_ context: SourceContext, splits: [[UInt8]]) throws -> Reader {
        var reader = Reader(records: records)
        // One split at most (parallelism 1); none means the collection was read to its end.
        reader.position = try splits.first.map { try BinaryStateDecoder().decode(Int.self, from: $0) } ?? records.count
        return reader
    }

    public struct Reader: SourceReader {
        let records: [StreamRecord<Output>]
        var position = 0

        public func snapshotSplits() throws -> [[UInt8]] {
            position < records.count ? [try BinaryStateEncoder().encode(position)] : []
        }

        public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
            let end = min(records.count, position + maxRecords)
            batch.append(contentsOf: records[position..<end])
            position = end
            return position == records.count ? .finished : .more
        }
    }
}
