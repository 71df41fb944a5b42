// The README's first job ("A job"), as it is printed there, between the two markers below:
// clicks per user and minute of event time from CSV lines `user,time` in the files of
// `clicks/`. Run it in a directory that has one:
//
//   mkdir -p clicks && printf 'ann,1000\nbob,2000\nann,61000\n' > clicks/part-0.csv
//   swift run ClicksPerMinute
//
// The test suite runs it on a generated input and checks every line it prints.

// README: A job
import Weir

struct Click: Sendable, Codable { var user: String; var time: Int64 }

let env = StreamEnvironment(parallelism: 4)
let late = OutputTag<Click>("late")
let counts = env.addSource(try LineFileSource(directory: "clicks/"))
    .map { line -> Click in
        let fields = line.split(separator: ",")
        return Click(user: String(fields[0]), time: Int64(fields[1])!)
    }
    .assignTimestampsAndWatermarks(
        WatermarkStrategy.boundedOutOfOrderness(.seconds(5)).withTimestampAssigner { $0.time })
    .keyBy { $0.user }
    .window(.tumbling(size: .minutes(1)))
    .allowedLateness(.seconds(30))
    .sideOutputLateData(late)
    .process { (user: String, window: TimeWindow, clicks: [Click], out: WindowCollector<String>) in
        try out.collect("\(user) \(window): \(clicks.count) clicks")
    }
counts.print()
counts.sideOutput(late).print("late")
try env.execute("clicks per minute")
// README: end
