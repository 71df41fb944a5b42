import Foundation
import NIOCore
import Weir
@testable import WeirKafka
import XCTest

/// The repartition topic's rules that need no broker: a key's partition is its key group's
/// range, the watermark records' form, and the errors for topics and records that cannot work.
final class RepartitionTopicTests: XCTestCase {
    func testAKeysPartitionHoldsItsKeyGroupAndThePartitionsCoverAllKeyGroups() throws {
        let topic = try RepartitionTopic(name: "clicks-job-repartition", partitions: 6, maxParallelism: 128, writers: 4)
        for key in 0..<5_000 {
            let keyGroup = KeyGroupRange.keyGroup(of: key, maxParallelism: 128)
            let partition = topic.partition(of: key)
            XCTAssertTrue(topic.keyGroups(of: partition).contains(keyGroup), "key \(key), key group \(keyGroup), partition \(partition)")
        }
        // Contiguous, in order, covering 0..<128 once: the ranges of six subtasks of 128 key groups.
        let ranges = (0..<6).map { topic.keyGroups(of: Int32($0)) }
        XCTAssertEqual(ranges.first?.start, 0)
        XCTAssertEqual(ranges.last?.end, 127)
        for (earlier, later) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(later.start, earlier.end + 1) }
        // And the keys spread: every partition gets some of 5,000 keys.
        XCTAssertEqual(Set((0..<5_000).map { topic.partition(of: $0) }), Set(0..<6))
    }

    func testTopicsThatCannotWorkAreRefusedSayingWhy() {
        for (partitions, writers) in [(Int32(0), 1), (129, 1), (4, 0)] {
            XCTAssertThrowsError(try RepartitionTopic(name: "hop", partitions: partitions, maxParallelism: 128, writers: writers)) { error in
                guard case RepartitionError.invalidTopic("hop", let reason) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("1...128"), reason)
            }
        }
    }

    func testAWatermarkRecordReadsBackAsItsWriterAndWatermark() throws {
        let topic = try RepartitionTopic(name: "hop", partitions: 3, writers: 4)
        let written = topic.watermarkRecord(Watermark(12_345), writer: 2, partition: 1)
        XCTAssertEqual(written.partition, 1)
        XCTAssertNil(written.value)
        let read = try topic.writerWatermark(in: consumed(headers: written.headers))
        XCTAssertEqual(read?.writer, 2)
        XCTAssertEqual(read?.watermark, Watermark(12_345))
        let end = try topic.writerWatermark(in: consumed(headers: topic.watermarkRecord(.endOfTime, writer: 3, partition: 0).headers))
        XCTAssertEqual(end?.watermark, .endOfTime)
        XCTAssertNil(try topic.writerWatermark(in: consumed(headers: [])), "a data record carries no watermark")
    }

    func testAWatermarkOfAnotherNumberOfWritersOrMalformedFailsTheReader() throws {
        let reader = try RepartitionTopic(name: "hop", partitions: 3, writers: 4)
        let rescaled = try RepartitionTopic(name: "hop", partitions: 3, writers: 6).watermarkRecord(Watermark(5), writer: 5, partition: 0)
        XCTAssertThrowsError(try reader.writerWatermark(in: consumed(headers: rescaled.headers))) { error in
            guard case RepartitionError.badWatermark(let partition, 41, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(partition, TopicPartition(topic: "hop", partition: 0))
            XCTAssertTrue(reason.contains("expects 4 writers") && reason.contains("rescaled"), reason)
        }
        let malformed = [KafkaHeader(key: RepartitionTopic.watermarkHeader, value: ByteBuffer(string: "two,4,5"))]
        XCTAssertThrowsError(try reader.writerWatermark(in: consumed(headers: malformed))) { error in
            XCTAssertTrue("\(error)".contains("\"two,4,5\" is not writer,writers,timestamp"), "\(error)")
        }
    }

    private func consumed(headers: [KafkaHeader]) -> ConsumedRecord {
        ConsumedRecord(topicPartition: TopicPartition(topic: "hop", partition: 0),
                       record: KafkaRecord(offset: 41, timestamp: 0, key: nil, value: nil, headers: headers))
    }
}
