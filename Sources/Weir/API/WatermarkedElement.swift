/// A stream element or a watermark, as one value: what ``DataStream/materializingWatermarks(every:name:)``
/// emits, so that a sink can write event time out of the job along with the records (the
/// repartition topic between a worker's tasks carries both, and the reading task's watermark
/// is the least of its writers').
public enum WatermarkedElement<Value: Sendable>: Sendable {
    /// A record of the stream.
    case value(Value)
    /// The stream's watermark advanced to this: no record after it in this stream is earlier.
    case watermark(Watermark)
}

extension WatermarkedElement: Equatable where Value: Equatable {}
extension WatermarkedElement: Hashable where Value: Hashable {}
