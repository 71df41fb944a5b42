/// Errors of event-time windows.
public enum WindowError: Error, CustomStringConvertible {
    case missingTimestamp

    public var description: String {
        switch self {
        case .missingTimestamp:
            return "a record without an event timestamp reached an event-time window; call assignTimestampsAndWatermarks(_:) on the stream first"
        }
    }
}
