import ArgumentParser
import Foundation
import Weir
import WeirReferenceJobs
#if S3
import WeirS3
#endif

/// The reference job's S3 side (`--sink s3 --output s3://bucket/prefix`): window sums as CSV
/// objects through the exactly-once S3 file sink, and reading them back for `weir verify`.
/// Built only with the `S3` trait.
enum S3Support {
    /// Writes the window sums as `window-sums-<subtask>-<checkpoint>-<part>.csv` objects under the prefix.
    static func write(_ sums: DataStream<WindowSum>, output: StorageLocation, options: TwoPhaseCommitOptions) throws {
        #if S3
        let (configuration, prefix) = try output.s3Configuration()
        var sink = S3FileSink<WindowSum>(configuration: configuration, prefix: prefix, encoder: .csv { $0.csvFields })
        sink.namePrefix = "window-sums"
        sink.suffix = ".csv"
        sums.sink(sink, name: "S3", options: options)
        #else
        throw StorageLocation.s3Missing
        #endif
    }

    /// The committed window sums: every object under the prefix (completed uploads only are objects).
    static func committedWindowSums(_ output: StorageLocation) throws -> [WindowSum] {
        #if S3
        let (configuration, prefix) = try output.s3Configuration()
        let client = S3Client(configuration)
        var rows: [WindowSum] = []
        for object in try client.listObjects(prefix: prefix.isEmpty ? "" : prefix + "/") where object.key.hasSuffix(".csv") {
            let text = String(decoding: try client.getObject(object.key), as: UTF8.self)
            for (number, line) in text.split(separator: "\n").enumerated() {
                guard let row = WindowSum(csvLine: line) else {
                    throw ValidationError("s3://\(configuration.bucket)/\(object.key) line \(number + 1) is not a window sum (key,windowStart,windowEnd,sum,count): \(line)")
                }
                rows.append(row)
            }
        }
        return rows
        #else
        throw StorageLocation.s3Missing
        #endif
    }
}
