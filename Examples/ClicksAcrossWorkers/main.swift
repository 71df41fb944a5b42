// docs/CLUSTER.md's snippet and KafkaGroupCluster's doc comment: clicks (`user,time` lines)
// from the topic `clicks` (6 partitions) at $KAFKA_BOOTSTRAP, counted per user and minute
// across N copies of this program — the consumer group `clicks` — and written exactly once to
// `counts`, with the checkpoints in the bucket `state` of the S3-compatible server at
// $S3_ENDPOINT. Start it N times; SIGTERM makes a copy leave the group. The test
// suite builds it; WorkerGroupTests runs the same split (weir worker is built on
// KafkaGroupCluster) with kills, a fourth process and a zombie.
import Foundation
import NIOCore
import Weir
import WeirKafka
import WeirS3

struct Click: Sendable, Codable { var user: String; var time: Int64 }
func click(_ line: String) -> Click {
    let fields = line.split(separator: ",")
    return Click(user: String(fields[0]), time: Int64(fields[1])!)
}

let brokers = [try BrokerAddress(ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"] ?? "127.0.0.1:9092")]
let endpoint = ProcessInfo.processInfo.environment["S3_ENDPOINT"] ?? "https://s3.eu-west-1.amazonaws.com"
let s3 = S3Configuration(endpoint: URL(string: endpoint)!, bucket: "state", credentials: S3Credentials.fromEnvironment()!)
let lines = KafkaUTF8Deserializer()
let lineRecords = KafkaClosureSerializer { (line: String) in KafkaProducerRecord(key: nil, value: ByteBuffer(string: line)) }
var clicks = KafkaSource(bootstrap: brokers, topics: ["clicks"], deserializer: lines)
clicks.boundedness = .latestAtStart
clicks.watermarks = WatermarkStrategy<String>.boundedOutOfOrderness(.seconds(5)).withTimestampAssigner { click($0).time }

// docs/CLUSTER.md: env.cluster
let env = StreamEnvironment()
env.checkpointing = CheckpointConfiguration(storage: S3CheckpointStorage(s3, prefix: "clicks"), interval: .seconds(1))
var cluster = KafkaGroupCluster(bootstrap: brokers, group: "clicks")
cluster.instanceID = ProcessInfo.processInfo.environment["POD_NAME"]   // static membership, optional
env.cluster = cluster                                                  // or .kafkaGroup(bootstrap:group:)

let hop = try RepartitionTopic(name: "clicks-by-user", partitions: 8, writers: 6)   // 6: partitions of "clicks"
env.addSource(clicks, name: "Clicks")
    .repartition(into: hop, bootstrap: brokers, key: { click($0).user }, serializer: lineRecords)
var byUser = KafkaSource(bootstrap: brokers, topics: [hop.name], deserializer: lines)
byUser.repartitionTopic = hop
byUser.boundedness = .untilWritersEnd        // a bounded input: end when every writer has
env.addSource(byUser, name: "ByUser")
    .map { click($0) }
    .keyBy { $0.user }
    .window(.tumbling(size: .minutes(1)))
    .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<String>) in
        try out.collect("\(user) \(window): \(clicks.count) clicks")
    }
    .sink(KafkaSink(bootstrap: brokers, topic: "counts", serializer: lineRecords, guarantee: .exactlyOnce), name: "Counts")
signal(SIGTERM, SIG_IGN)
let stop = DispatchSource.makeSignalSource(signal: SIGTERM)
stop.setEventHandler { env.stop() }
stop.resume()
try env.execute("clicks")                    // in each process: joins the group, runs its share
// docs/CLUSTER.md: end
