import NIOCore
@testable import WeirKafka
import XCTest

/// The read_committed filter on synthetic fetch responses: brokers that list aborted
/// transactions but return some of their batches (noida-db), brokers that never fill the list
/// (Tansu), and transactions whose marker has not been fetched yet.
final class ReadCommittedFilterTests: XCTestCase {
    private func batch(_ offsets: ClosedRange<Int64>, producer: Int64 = -1, transactional: Bool = false) -> RecordBatch {
        var batch = RecordBatch(records: offsets.map { KafkaRecord(timestamp: $0, key: nil, value: ByteBuffer(string: "\($0)")) },
                                producerID: producer, producerEpoch: 0, baseSequence: 0, isTransactional: transactional)
        batch.baseOffset = offsets.lowerBound
        for index in batch.records.indices { batch.records[index].offset += offsets.lowerBound }
        return batch
    }

    private func marker(_ kind: ControlRecord.Kind, at offset: Int64, producer: Int64) -> RecordBatch {
        var batch = RecordBatch(records: [ControlRecord(kind: kind).record(timestamp: offset)], producerID: producer, producerEpoch: 0,
                                isTransactional: true, isControl: true)
        batch.baseOffset = offset
        batch.records[0].offset = offset
        return batch
    }

    func testAbortedTransactionListedButPartlyReturnedIsDroppedWhole() throws {
        // What noida-db 0.2.3 answers: the list names producer 7 from offset 0, yet the
        // transaction's second batch comes back.
        let result = try ReadCommittedFilter.filter([batch(5...9, producer: 7, transactional: true), marker(.abort, at: 10, producer: 7), batch(11...12)],
                                                    abortedTransactions: [.init(producerID: 7, firstOffset: 0)], fetchOffset: 0)
        XCTAssertEqual(result.records.map(\.offset), [11, 12])
        XCTAssertEqual(result.nextOffset, 13)
        XCTAssertFalse(result.isWaitingForMarker)
    }

    func testMarkersAloneDecideWhenTheListIsEmpty() throws {
        // What Tansu answers: markers in the log, an empty list.
        let batches = [batch(0...2, producer: 7, transactional: true), batch(3...4, producer: 8, transactional: true),
                       marker(.commit, at: 5, producer: 8), marker(.abort, at: 6, producer: 7), batch(7...7)]
        let result = try ReadCommittedFilter.filter(batches, abortedTransactions: [], fetchOffset: 0)
        XCTAssertEqual(result.records.map(\.offset), [3, 4, 7])
        XCTAssertEqual(result.nextOffset, 8)
    }

    func testRecordsWaitForTheirMarkerAndNothingAfterThemIsDelivered() throws {
        let first = try ReadCommittedFilter.filter([batch(0...1), batch(2...3, producer: 9, transactional: true), batch(4...4)],
                                                   abortedTransactions: [], fetchOffset: 0)
        XCTAssertEqual(first.records.map(\.offset), [0, 1])
        XCTAssertEqual(first.nextOffset, 2, "the next fetch starts at the waiting transaction")
        XCTAssertTrue(first.isWaitingForMarker)

        let second = try ReadCommittedFilter.filter([batch(2...3, producer: 9, transactional: true), batch(4...4), marker(.commit, at: 5, producer: 9)],
                                                    abortedTransactions: [], fetchOffset: first.nextOffset)
        XCTAssertEqual(second.records.map(\.offset), [2, 3, 4])
        XCTAssertEqual(second.nextOffset, 6)
        XCTAssertFalse(second.isWaitingForMarker)
    }

    func testAnEarlierOpenTransactionHoldsBackALaterCommittedOne() throws {
        let batches = [batch(0...0, producer: 1, transactional: true), batch(1...1, producer: 2, transactional: true), marker(.commit, at: 2, producer: 2)]
        let held = try ReadCommittedFilter.filter(batches, abortedTransactions: [], fetchOffset: 0)
        XCTAssertEqual(held.records.map(\.offset), [], "offset order is kept")
        XCTAssertEqual(held.nextOffset, 0)
        let released = try ReadCommittedFilter.filter(batches + [marker(.commit, at: 3, producer: 1)], abortedTransactions: [], fetchOffset: 0)
        XCTAssertEqual(released.records.map(\.offset), [0, 1])
        XCTAssertEqual(released.nextOffset, 4)
    }

    func testRecordsBeforeTheFetchOffsetInAReturnedBatchAreSkipped() throws {
        let result = try ReadCommittedFilter.filter([batch(0...4)], abortedTransactions: [], fetchOffset: 3)
        XCTAssertEqual(result.records.map(\.offset), [3, 4])
        XCTAssertEqual(result.nextOffset, 5)
    }
}
