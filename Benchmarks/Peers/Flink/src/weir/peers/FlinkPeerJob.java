package weir.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Weir's benchmark jobs written for Apache Flink's DataStream API, run in Flink's local
 * mini-cluster, so that `weir-bench versus-flink` can run both engines on the same work.
 *
 * The input is Weir's ReferenceWorkload, event for event: event i has key i mod keys, value
 * SplitMix64(seed ^ i) mod 100, event time i * 1000 / 100,000 ms; source subtask s of p emits
 * i = s, s + p, ... (Weir's GeneratorSource stripes). Watermarks trail the largest timestamp by
 * 1 ms and come every 10,000 records (Weir's "every 100 ms of event time"), so that both engines
 * keep the same windows open. Prints one JSON line in the shape of weir-bench's Measurement.
 */
public final class FlinkPeerJob {
    /** Mirrors Weir's ReferenceEvent. */
    public static final class Event {
        public int key;
        public long value;

        public Event() {}

        public Event(int key, long value) {
            this.key = key;
            this.value = value;
        }
    }

    /** Mirrors Weir's WindowSum. */
    public static final class WindowSum {
        public int key;
        public long windowStart;
        public long windowEnd;
        public long sum;
        public long count;

        public WindowSum() {}
    }

    /** Sum and count of a window's values (Weir's SumAggregate.Total). */
    public static final class Total {
        public long sum;
        public long count;

        public Total() {}
    }

    static final long EVENTS_PER_SECOND = 100_000;
    static final long SEED = 42;

    static long splitMix64(long state) {
        long z = state + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The stripe of Weir's generator owned by this subtask; its position is checkpointed. */
    static final class ReferenceSource extends RichParallelSourceFunction<Event> implements CheckpointedFunction {
        private final long events;
        private final int keys;
        private volatile boolean running = true;
        private long next = -1;
        private transient ListState<Long> position;

        ReferenceSource(long events, int keys) {
            this.events = events;
            this.keys = keys;
        }

        @Override
        public void initializeState(FunctionInitializationContext context) throws Exception {
            position = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("next", Long.class));
            for (Long restored : position.get()) next = restored;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            position.update(List.of(next));
        }

        @Override
        public void run(SourceContext<Event> context) {
            long stride = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
            if (next < 0) next = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            // Records go out in runs of 1,024 under the checkpoint lock, as a tuned legacy
            // source would (a lock per record costs Flink ~10%).
            while (running && next < events) {
                synchronized (context.getCheckpointLock()) {
                    for (int n = 0; n < 1024 && next < events; n++, next += stride) {
                        long value = Long.remainderUnsigned(splitMix64(SEED ^ next), 100);
                        context.collectWithTimestamp(new Event((int) (next % keys), value), next * 1000 / EVENTS_PER_SECOND);
                    }
                }
            }
        }

        @Override
        public void cancel() {
            running = false;
        }
    }

    /** Bounded out-of-orderness 0, emitted every `every` records instead of periodically. */
    static final class EveryRecords implements WatermarkGenerator<Event> {
        private final long every;
        private long maxTimestamp = Long.MIN_VALUE + 1;
        private long seen;

        EveryRecords(long every) {
            this.every = every;
        }

        @Override
        public void onEvent(Event event, long timestamp, WatermarkOutput output) {
            maxTimestamp = Math.max(maxTimestamp, timestamp);
            if (++seen % every == 0) output.emitWatermark(new Watermark(maxTimestamp - 1));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {}
    }

    static final class Sum implements AggregateFunction<Event, Total, Total> {
        public Total createAccumulator() { return new Total(); }
        public Total add(Event event, Total total) {
            total.sum += event.value;
            total.count += 1;
            return total;
        }
        public Total getResult(Total total) { return total; }
        public Total merge(Total a, Total b) {
            a.sum += b.sum;
            a.count += b.count;
            return a;
        }
    }

    static final class ToWindowSum extends ProcessWindowFunction<Total, WindowSum, Integer, TimeWindow> {
        @Override
        public void process(Integer key, Context context, Iterable<Total> totals, Collector<WindowSum> out) {
            Total total = totals.iterator().next();
            WindowSum result = new WindowSum();
            result.key = key;
            result.windowStart = context.window().getStart();
            result.windowEnd = context.window().getEnd();
            result.sum = total.sum;
            result.count = total.count;
            out.collect(result);
        }
    }

    /** Discards results but counts them and folds them into weir-bench's checksum. */
    static final class ChecksumSink<T> extends RichSinkFunction<T> {
        interface Digest<T> extends java.io.Serializable { long of(T value); }

        private final Digest<T> digest;
        private final LongCounter count = new LongCounter();
        private final LongCounter checksum = new LongCounter();

        ChecksumSink(Digest<T> digest) { this.digest = digest; }

        @Override
        public void open(OpenContext context) {
            getRuntimeContext().addAccumulator("count", count);
            getRuntimeContext().addAccumulator("checksum", checksum);
        }

        @Override
        public void invoke(T value, Context context) {
            count.add(1);
            checksum.add(digest.of(value));  // Java's long addition wraps like Swift's &+.
        }
    }

    public static void main(String[] arguments) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < arguments.length; i += 2) options.put(arguments[i].replaceFirst("^--", ""), arguments[i + 1]);
        String job = options.getOrDefault("job", "window");
        int parallelism = Integer.parseInt(options.getOrDefault("parallelism", "1"));
        long events = Long.parseLong(options.getOrDefault("events", "10000000"));
        int keys = Integer.parseInt(options.getOrDefault("keys", "10000"));
        String directory = options.get("directory");
        boolean checkpointed = !job.equals("window");
        if ((checkpointed || job.equals("window-file-sink")) && directory == null) {
            throw new IllegalArgumentException("--directory DIR is needed for checkpoints and the file sink's output");
        }

        Configuration configuration = new Configuration();
        if (checkpointed) {
            // Heap state, snapshots written to files: what Weir does.
            configuration.set(StateBackendOptions.STATE_BACKEND, "hashmap");
            configuration.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            configuration.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file://" + directory + "/checkpoints");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, configuration);
        if (checkpointed) env.enableCheckpointing(1000);  // exactly-once is the default mode

        DataStream<Event> input = env.addSource(new ReferenceSource(events, keys), "Generator")
            .assignTimestampsAndWatermarks(WatermarkStrategy.<Event>forGenerator(context -> new EveryRecords(EVENTS_PER_SECOND / 10)));
        boolean checksummed = true;
        switch (job) {
            case "window":
            case "window-checkpointed":
            case "window-file-sink": {
                DataStream<WindowSum> sums = input.keyBy(event -> event.key)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
                    .aggregate(new Sum(), new ToWindowSum())
                    .name("WindowSum");
                if (job.equals("window-file-sink")) {
                    checksummed = false;
                    FileSink<String> files = FileSink.forRowFormat(new Path("file://" + directory + "/out"), new SimpleStringEncoder<String>("UTF-8"))
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .withRollingPolicy(OnCheckpointRollingPolicy.build())
                        .build();
                    sums.map(sum -> sum.key + "," + sum.windowStart + "," + sum.sum + "," + sum.count).sinkTo(files).name("Files");
                } else {
                    sums.addSink(new ChecksumSink<WindowSum>(sum -> sum.sum * 31 + sum.windowStart + sum.key)).name("Checksum");
                }
                break;
            }
            case "running-sum":
            case "running-sum-checkpointed":
                input.keyBy(event -> event.key)
                    .reduce((a, b) -> new Event(a.key, a.value + b.value))
                    .name("RunningSum")
                    .addSink(new ChecksumSink<Event>(event -> event.value * 31 + event.key)).name("Checksum");
                break;
            default:
                throw new IllegalArgumentException("unknown job " + job);
        }
        JobExecutionResult result = env.execute("weir peer: " + job);
        long count = checksummed ? (Long) result.getAccumulatorResult("count") : 0;
        long checksum = checksummed ? (Long) result.getAccumulatorResult("checksum") : 0;
        System.out.println("{\"job\":\"" + job + "\",\"engine\":\"flink\",\"parallelism\":" + parallelism + ",\"events\":" + events
            + ",\"seconds\":" + (result.getNetRuntime() / 1000.0) + ",\"peakRSSKilobytes\":" + peakRSSKilobytes()
            + ",\"resultCount\":" + count + ",\"checksum\":" + checksum + "}");
    }

    /** VmHWM of this process: the peak resident set, as getrusage's ru_maxrss reports Weir's. */
    static long peakRSSKilobytes() throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return 0;
    }
}
