import NIOCore

/// The bytes of a worker's tasks in the group protocol: its JoinGroup metadata (what it runs
/// now, for a sticky assignment) and the leader's SyncGroup assignment. A version, then the
/// partitions as (topic, partition) pairs.
package enum TaskAssignmentCodec {
    package static let version: Int16 = 1

    package static func encode(_ partitions: [TopicPartition]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeInteger(Int32(partitions.count))
        for partition in partitions.sorted() {
            let topic = Array(partition.topic.utf8)
            buffer.writeInteger(Int16(topic.count))
            buffer.writeBytes(topic)
            buffer.writeInteger(partition.partition)
        }
        return buffer
    }

    /// The partitions in `buffer`; empty for an empty buffer (a member that runs nothing, or
    /// the empty assignment the coordinator gives a member the leader left out).
    package static func decode(_ buffer: ByteBuffer) throws -> [TopicPartition] {
        var buffer = buffer
        guard buffer.readableBytes > 0 else { return [] }
        guard let version: Int16 = buffer.readInteger(), version == Self.version, let count: Int32 = buffer.readInteger(), count >= 0 else {
            throw KafkaError.groupMembership(group: "", reason: "a member's task list is not Weir's format version \(Self.version) (a worker of another Weir version in the group?)")
        }
        var partitions: [TopicPartition] = []
        for _ in 0..<count {
            guard let length: Int16 = buffer.readInteger(), length >= 0, let topic = buffer.readString(length: Int(length)),
                  let partition: Int32 = buffer.readInteger() else {
                throw KafkaError.groupMembership(group: "", reason: "a member's task list is truncated")
            }
            partitions.append(TopicPartition(topic: topic, partition: partition))
        }
        return partitions
    }
}
