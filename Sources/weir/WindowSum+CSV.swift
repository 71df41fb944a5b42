import Weir
import WeirReferenceJobs

/// The reference job's output line: `key,windowStart,windowEnd,sum,count`, in files and in Kafka.
extension WindowSum {
    var csvFields: [String] { [String(key), String(windowStart), String(windowEnd), String(sum), String(count)] }

    var csvLine: String { csvFields.joined(separator: ",") }

    init?(csvLine line: some StringProtocol) {
        let fields = line.split(separator: ",").compactMap { Int64($0) }
        guard fields.count == 5 else { return nil }
        self.init(key: Int(fields[0]), windowStart: fields[1], windowEnd: fields[2], sum: fields[3], count: fields[4])
    }
}
