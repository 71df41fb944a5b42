import Foundation

/// `Peers/marker_reader.py`: a read_committed reader of one partition that decides by the
/// transaction markers in the log alone, with its own parser of Kafka's wire format (no code of
/// WeirKafka or librdkafka). Tests read Tansu through it: Tansu lists no aborted transactions,
/// and librdkafka, which filters by that list, delivers aborted records there.
package enum MarkerReader {
    private struct Read: Decodable {
        var offset: Int64
        var value: String?
    }

    /// The committed values of `topic`'s `partition`, in offset order.
    package static func values(python: String, bootstrap: String, topic: String, partition: Int) throws -> [String?] {
        let printed = try ConfluentPeer.run(python, [bootstrap, topic, "\(partition)"], script: "marker_reader.py")
        return try printed.split(separator: "\n").map { try JSONDecoder().decode(Read.self, from: Data($0.utf8)).value }
    }
}
