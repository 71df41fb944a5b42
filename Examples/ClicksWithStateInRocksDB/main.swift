// docs/STATE.md's RocksDB snippet: clicks per user and minute from the CSV lines `user,time` in
// `clicks/`, printed as "user [start, end): N clicks", with the window state in RocksDB under
// `rocksdb/` and checkpoints in `checkpoints/`. The test suite runs it and checks every line.
import Weir
import WeirRocksDB

struct Click: Sendable, Codable { var user: String; var time: Int64 }

let env = StreamEnvironment(parallelism: 2)
// docs/STATE.md: RocksDB
env.stateBackend = RocksDBStateBackend(localDirectory: "rocksdb", blockCacheBytes: 256 << 20)
env.checkpointing = CheckpointConfiguration(directory: "checkpoints", interval: .seconds(1))
// docs/STATE.md: end
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
try env.execute("clicks per minute, state in RocksDB")
