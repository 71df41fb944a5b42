import Weir

/// The event of Weir's reference pipeline: a keyed measurement.
public struct ReferenceEvent: Sendable, Hashable, Codable {
    public var key: Int
    public var value: Int64

    public init(key: Int, value: Int64) {
        self.key = key
        self.value = value
    }

    /// The event as a line of text input (files, Kafka): `key,timestamp,value`.
    public static func line(_ record: StreamRecord<ReferenceEvent>) -> String {
        "\(record.value.key),\(record.timestamp),\(record.value.value)"
    }

    /// `key,timestamp,value` → the event with its event time; `nil` if the line is malformed.
    public static func parse(line: some StringProtocol) -> StreamRecord<ReferenceEvent>? {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3, let key = Int(fields[0]), let timestamp = Int64(fields[1]), let value = Int64(fields[2]) else { return nil }
        return StreamRecord(ReferenceEvent(key: key, value: value), timestamp: timestamp)
    }

    /// The timestamp field of a `key,timestamp,value` line, without parsing the rest; `nil` if
    /// it is not a number. For a source's timestamp assigner (the line is parsed again later).
    public static func timestamp(ofLine line: String) -> Int64? {
        var utf8 = line.utf8[...]
        guard let first = utf8.firstIndex(of: UInt8(ascii: ",")) else { return nil }
        utf8 = utf8[utf8.index(after: first)...]
        let end = utf8.firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
        return Int64(Substring(utf8[..<end]))
    }
}

/// The result of the reference pipeline: the sum and count of one key's values in one window.
public struct WindowSum: Sendable, Hashable, Codable, CustomStringConvertible {
    public var key: Int
    public var windowStart: Int64
    public var windowEnd: Int64
    public var sum: Int64
    public var count: Int64

    public init(key: Int, windowStart: Int64, windowEnd: Int64, sum: Int64, count: Int64) {
        self.key = key
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.sum = sum
        self.count = count
    }

    public var description: String { "key=\(key) window=[\(windowStart),\(windowEnd)) sum=\(sum) count=\(count)" }
}
