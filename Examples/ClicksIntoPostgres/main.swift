// The README's PostgreSQL snippet (and docs/SINKS.md's): clicks per user and minute from the
// CSV lines `user,time` in `clicks/`, upserted exactly once into the table `click_counts` of
// the server at $DATABASE_URL (default postgres://weir@127.0.0.1:5432/weir; the server needs
// max_prepared_transactions > 0). The test suite runs it against its own server and checks
// the table.
import Foundation
import Weir
import WeirPostgres

struct Click: Sendable, Codable { var user: String; var time: Int64 }
struct ClickCount: Sendable, Codable { var user: String; var windowStart: Int64; var clicks: Int }

let url = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "postgres://weir@127.0.0.1:5432/weir"
let env = StreamEnvironment(parallelism: 2)
env.checkpointing = CheckpointConfiguration(directory: "state/", interval: .seconds(1))
let perMinute = env.addSource(try LineFileSource(directory: "clicks/"))
    .map { line -> Click in
        let fields = line.split(separator: ",")
        return Click(user: String(fields[0]), time: Int64(fields[1])!)
    }
    .assignTimestampsAndWatermarks(
        WatermarkStrategy.boundedOutOfOrderness(.seconds(5)).withTimestampAssigner { $0.time })
    .keyBy { $0.user }
    .window(.tumbling(size: .minutes(1)))
    .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<ClickCount>) in
        try out.collect(ClickCount(user: user, windowStart: window.start, clicks: clicks.count))
    }

// README: PostgreSQL
let sink = PostgresSink<ClickCount>(endpoint: try PostgresEndpoint(url: url),
                                    table: "click_counts", columns: ["user_name", "window_start", "clicks"],
                                    mode: .upsert(keyColumns: ["user_name", "window_start"])) {
    [.text($0.user), .int($0.windowStart), .int(Int64($0.clicks))]
}
perMinute.sink(sink, name: "Postgres")
// README: end

try env.execute("clicks per minute into PostgreSQL")
