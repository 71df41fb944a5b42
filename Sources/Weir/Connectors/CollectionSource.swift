/// The values of an array, in order, by one subtask. With timestamps if given as records.
public struct CollectionSource<Output: Sendable>: Source {
    let records: [StreamRecord<Output>]

    public init(_ values: [Output]) { records = values.map { StreamRecord($0) } }
    public init(records: [StreamRecord<Output>]) { self.records = records }

    /// Order is the array's, so only one subtask reads.
    public var maxParallelism: Int? { 1 }

    public func makeReader(_ context: SourceContext) throws -> Reader { Reader(records: records) }

    public struct Reader: SourceReader {
        let records: [StreamRecord<Output>]
        var position = 0

        public mutating func poll(into batch: inout [StreamRecord<Output>], maxRecords: Int) throws -> SourcePoll {
            let end = min(records.count, position + maxRecords)
            batch.append(contentsOf: records[position..<end])
            position = end
            return position == records.count ? .finished : .more
        }
    }
}
