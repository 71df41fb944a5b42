import Weir
let env = StreamEnvironment(parallelism: 2)
let sink = CollectSink<WindowSum>()
let workload = ReferenceWorkload(events: 2_000_000, disorderMilliseconds: 50)
workload.windowSums(in: env).sink(sink)
print(try env.explain())
let result = try env.execute("demo")
let got = sink.values.sorted { ($0.windowStart, $0.key) < ($1.windowStart, $1.key) }
let expected = workload.expectedWindowSums()
print(got.count, expected.count, got == expected, result.durationSeconds, Double(workload.events) / result.durationSeconds)
