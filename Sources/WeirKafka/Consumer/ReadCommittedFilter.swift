import DequeModule

/// What a read_committed consumer may deliver from one fetch of one partition.
///
/// It trusts neither half of what the broker offers alone: the fetch response's list of
/// aborted transactions (which some brokers leave empty — Tansu) and the broker's own filtering
/// (which some brokers do only in part — noida-db 0.2.3 drops an aborted transaction's first
/// batch and lists it, but returns its later batches). It reads the commit and abort markers
/// in the log as well, and holds a transaction's records until its marker is seen:
///
/// - a transactional batch of a producer the list says aborted (from its first offset on) is
///   dropped, up to that producer's next marker;
/// - any other transactional batch waits for its producer's marker: commit delivers it, abort
///   drops it;
/// - records are delivered in offset order, so nothing after a waiting batch is delivered
///   either, and the next fetch starts at the first waiting batch (``Result/nextOffset``).
package struct ReadCommittedFilter: Sendable {
    package struct Result: Sendable {
        /// The deliverable data records, in offset order.
        package var records: [KafkaRecord]
        /// Where the next fetch starts: after everything decided, at the first batch whose
        /// transaction has no marker yet.
        package var nextOffset: Int64
        /// Whether batches are held for a marker that was not in this fetch.
        package var isWaitingForMarker: Bool
    }

    private struct Held {
        var batch: RecordBatch
        var decided: Bool
    }

    /// Filters `batches` (one partition's, in offset order, as fetched from `fetchOffset`).
    package static func filter(_ batches: [RecordBatch], abortedTransactions: [FetchRequest.AbortedTransaction], fetchOffset: Int64) throws -> Result {
        var listed = abortedTransactions.sorted { $0.firstOffset < $1.firstOffset }[...]
        var abortedProducers: Set<Int64> = []
        // Decided batches leave from the front as soon as nothing undecided is before them.
        var held: Deque<Held> = []
        var records: [KafkaRecord] = []
        var nextOffset = fetchOffset

        func deliverDecided() {
            while let first = held.first, first.decided {
                held.removeFirst()
                records += first.batch.records.filter { $0.offset >= fetchOffset }
                nextOffset = max(nextOffset, first.batch.lastOffset + 1)
            }
        }

        for batch in batches where batch.lastOffset >= fetchOffset {
            while let next = listed.first, next.firstOffset <= batch.lastOffset {
                abortedProducers.insert(next.producerID)
                listed.removeFirst()
            }
            if batch.isControl {
                let producer = batch.producerID
                let markers = try batch.records.map { try ControlRecord($0).kind }
                if markers.contains(.abort) {
                    held.removeAll { $0.batch.isTransactional && !$0.decided && $0.batch.producerID == producer }
                } else if markers.contains(.commit) {
                    for index in held.indices where held[index].batch.isTransactional && held[index].batch.producerID == producer {
                        held[index].decided = true
                    }
                }
                abortedProducers.remove(producer)
                // The marker itself is consumed: nothing to deliver, but the position moves past it.
                held.append(Held(batch: RecordBatch(emptyAt: batch), decided: true))
            } else if batch.isTransactional {
                // Aborted by the list: dropped, but the position moves past it in order.
                held.append(abortedProducers.contains(batch.producerID) ? Held(batch: RecordBatch(emptyAt: batch), decided: true) : Held(batch: batch, decided: false))
            } else {
                held.append(Held(batch: batch, decided: true))
            }
            deliverDecided()
        }
        if let waiting = held.first { nextOffset = max(nextOffset, waiting.batch.baseOffset) }
        return Result(records: records, nextOffset: nextOffset, isWaitingForMarker: !held.isEmpty)
    }
}

extension RecordBatch {
    /// A batch without records that only moves the position past `batch` (a consumed marker).
    init(emptyAt batch: RecordBatch) {
        self = batch
        records = []
    }
}
