/// Errors of event-time windows.
public enum WindowError: Error, CustomStringConvertible {
    /// A record reached a window operator without an event timestamp (assign timestamps before windowing).
    case missingTimestamp

    /// What is wrong, and what to do.
    public var description: String {
        switch self {
        case .missingTimestamp:
            return "a record without an event timestamp reached an event-time window; call assignTimestampsAndWatermarks(_:) on the stream first"
        }
    }
}
