/// The event of Weir's reference pipeline: a keyed measurement.
public struct ReferenceEvent: Sendable, Hashable, Codable {
    public var key: Int
    public var value: Int64

    public init(key: Int, value: Int64) {
        self.key = key
        self.value = value
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
