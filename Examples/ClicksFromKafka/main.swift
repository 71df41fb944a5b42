// The Kafka source of the KafkaSource doc comment, in a job: clicks (`user,time` lines) from
// the topic `clicks` at $KAFKA_BOOTSTRAP (default 127.0.0.1:9092), counted per user and
// minute, printed. Reads what the topic holds when the job starts, then ends.
import Foundation
import Weir
import WeirKafka

struct Click: Sendable, Codable { var user: String; var time: Int64 }

let bootstrap = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"] ?? "127.0.0.1:9092"
let env = StreamEnvironment(parallelism: 2)
// Doc: KafkaSource
var source = KafkaSource(bootstrap: [try BrokerAddress(bootstrap)], topics: ["clicks"],
                         deserializer: KafkaUTF8Deserializer())
source.boundedness = .latestAtStart  // stop at the offsets the topic had at the start (default: never)
let lines = env.addSource(source, name: "Kafka")
// Doc: end
lines
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
    .print()
try env.execute("clicks from Kafka")
