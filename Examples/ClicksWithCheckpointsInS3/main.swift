// docs/CHECKPOINTS.md's S3 snippet: clicks per user and minute from the CSV lines `user,time`
// in `clicks/`, printed as "user [start, end): N clicks", with the checkpoints in the bucket
// `state` under `jobs/clicks` of the S3-compatible server at $S3_ENDPOINT (default: AWS in
// eu-west-1; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). The test suite
// runs it against rclone serve s3 and checks every line and the bucket.
import Foundation
import Weir
import WeirS3

struct Click: Sendable, Codable { var user: String; var time: Int64 }

let env = StreamEnvironment(parallelism: 2)
// docs/CHECKPOINTS.md: S3
let endpoint = ProcessInfo.processInfo.environment["S3_ENDPOINT"] ?? "https://s3.eu-west-1.amazonaws.com"
var s3 = S3Configuration(endpoint: URL(string: endpoint)!, bucket: "state",
                         credentials: S3Credentials.fromEnvironment()!)
s3.region = "eu-west-1"
env.checkpointing = CheckpointConfiguration(storage: S3CheckpointStorage(s3, prefix: "jobs/clicks"), interval: .seconds(1))
// docs/CHECKPOINTS.md: end
let counts = env.addSource(try LineFileSource(directory: "clicks/"))
    .map { line -> Click in
        let fields = line.split(separator: ",")
        return Click(user: String(fields[0]), time: Int64(fields[1])!)
    }
    .assignTimestampsAndWatermarks(
        WatermarkStrategy.boundedOutOfOrderness(.seconds(5)).withTimestampAssigner { $0.time })
    .keyBy { $0.user }
    .window(.tumbling(size: .minutes(1)))
    .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<String>) in
        try out.collect("\(user) \(window): \(clicks.count) clicks")
    }
counts.print()
try env.execute("clicks per minute, checkpoints in S3")
