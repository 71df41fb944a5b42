// The README's "Checkpoints and recovery" and "Exactly-once output" snippets, and the file
// sink of docs/SINKS.md, in one job that runs: clicks per user and minute from the CSV lines
// `user,time` in `clicks/`, written exactly once as CSV files into `out/` (twice: `part-*`
// files, and `clicks-*` files with a header line), with checkpoints in `state/`. Run it in a directory that has `clicks/`; run it again after a crash (kill -9) and
// it continues from its latest checkpoint, and `out/` still holds every count exactly once.
//
// The test suite runs it on a generated input and checks `out/`.
import Weir

struct Click: Sendable, Codable { var user: String; var time: Int64 }
struct ClickCount: Sendable, Codable { var user: String; var windowStart: Int64; var clicks: Int }

let env = StreamEnvironment(parallelism: 2)
// README: Checkpoints and recovery
env.checkpointing = CheckpointConfiguration(directory: "state/", interval: .seconds(1))
// Task failure: restart from the latest checkpoint — by default with an exponential delay (1 s × 1.5ⁿ up to 1 min).
env.restartStrategy = .fixedDelay(attempts: 5, delay: .seconds(1))
env.resume = .latest                                                // process crash: start again from the latest checkpoint
// README: end

let clicks = env.addSource(try LineFileSource(directory: "clicks/"))
    .map { line -> Click in
        let fields = line.split(separator: ",")
        return Click(user: String(fields[0]), time: Int64(fields[1])!)
    }
    .assignTimestampsAndWatermarks(
        WatermarkStrategy.boundedOutOfOrderness(.seconds(5)).withTimestampAssigner { $0.time })

// README: Exactly-once output
let perMinute = clicks
    .keyBy { $0.user }
    .window(.tumbling(size: .minutes(1)))
    .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<ClickCount>) in
        try out.collect(ClickCount(user: user, windowStart: window.start, clicks: clicks.count))
    }
perMinute.sink(FileSink(directory: "out/", encoder: .csv { [$0.user, String($0.windowStart), String($0.clicks)] }))
// README: end

// docs/SINKS.md: the same counts again, into files of their own name, with a header line.
var files = FileSink<ClickCount>(directory: "out/", encoder: .csv(header: ["user", "start", "clicks"]) {
    [$0.user, String($0.windowStart), String($0.clicks)]
})
files.prefix = "clicks"            // file names: clicks-<subtask>-<checkpoint>-<part>.txt
files.rollingSizeBytes = 64 << 20  // also rolls at every checkpoint
perMinute.sink(files)
// docs/SINKS.md: end

try env.execute("clicks per minute, exactly once")
