import Foundation
import NIOCore
import Weir
import WeirKafka
import XCTest

/// The pieces of a worker that need no broker: the co-partitioning check, the task lists in
/// the group protocol, and the lease.
final class WorkerPartsTests: XCTestCase {
    private func record(key: String?, partition: Int32) -> ConsumedRecord {
        ConsumedRecord(topicPartition: TopicPartition(topic: "clicks", partition: partition),
                       record: KafkaRecord(offset: 17, timestamp: 0, key: key.map { ByteBuffer(string: $0) }, value: ByteBuffer(string: "v")))
    }

    /// Kafka's own murmur2 vectors (UtilsTest.testMurmur2 in the Java client) decide the
    /// partitions: "abc" hashes to 479470107 (partition 3 of 6), "a-little-bit-long-string" to
    /// -985981536 (2 of 6), "21" to -973932308 (0 of 6).
    func testRecordsInTheirKeysPartitionPassAndOthersFailNamingBoth() throws {
        let check = CoPartitionedDeserializer(KafkaUTF8Deserializer(), partitionCount: 6)
        XCTAssertEqual(try check.deserialize(record(key: "abc", partition: 3)), "v")
        XCTAssertEqual(try check.deserialize(record(key: "a-little-bit-long-string", partition: 2)), "v")
        XCTAssertEqual(try check.deserialize(record(key: "21", partition: 0)), "v")
        XCTAssertThrowsError(try check.deserialize(record(key: "abc", partition: 4))) { error in
            guard case KafkaSourceError.notCoPartitioned(let partition, let offset, let keyPartition) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(partition, TopicPartition(topic: "clicks", partition: 4))
            XCTAssertEqual(offset, 17)
            XCTAssertEqual(keyPartition, 3)
            XCTAssertTrue("\(error)".contains("partition"), "\(error)")
        }
        XCTAssertThrowsError(try check.deserialize(record(key: nil, partition: 0)), "a record without a key cannot be placed")
    }

    func testTaskListsRoundTripAndAnotherVersionIsRefused() throws {
        let partitions = [TopicPartition(topic: "clicks", partition: 5), TopicPartition(topic: "clicks", partition: 0), TopicPartition(topic: "views", partition: 2)]
        XCTAssertEqual(try TaskAssignmentCodec.decode(TaskAssignmentCodec.encode(partitions)), partitions.sorted())
        XCTAssertEqual(try TaskAssignmentCodec.decode(ByteBuffer()), [], "an empty assignment is no tasks")
        var other = ByteBuffer()
        other.writeInteger(Int16(2))
        other.writeInteger(Int32(0))
        XCTAssertThrowsError(try TaskAssignmentCodec.decode(other)) { error in
            XCTAssertTrue("\(error)".contains("version"), "\(error)")
        }
        var truncated = TaskAssignmentCodec.encode(partitions)
        truncated.moveWriterIndex(to: truncated.writerIndex - 3)
        XCTAssertThrowsError(try TaskAssignmentCodec.decode(truncated))
    }

    func testLeaseHoldsForItsDurationFromTheSendingAndEndsWhenRevoked() throws {
        let lease = WorkerLease(duration: .milliseconds(300))
        XCTAssertThrowsError(try lease.check(), "no lease before the first join")
        let sent = ProcessingClock.monotonicNanoseconds()
        lease.renew(sentAt: sent)
        XCTAssertNoThrow(try lease.check())
        // An older acceptance arriving late does not move the lease back.
        lease.renew(sentAt: sent - 10_000_000_000)
        XCTAssertNoThrow(try lease.check())
        Thread.sleep(forTimeInterval: 0.4)
        XCTAssertThrowsError(try lease.check()) { error in
            guard case WorkerError.leaseLost(let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("paused"), why)
        }
        lease.renew(sentAt: ProcessingClock.monotonicNanoseconds())
        XCTAssertNoThrow(try lease.check())
        lease.revoke("a rebalance began")
        XCTAssertThrowsError(try lease.check()) { error in
            XCTAssertTrue("\(error)".contains("a rebalance began"), "\(error)")
        }
    }
}
