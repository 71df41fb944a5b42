package weir.peers;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.streaming.api.functions.sink.legacy.RichSinkFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * Weir's benchmark jobs written for Apache Flink 2.3's DataStream API, run in Flink's local
 * mini-cluster, so that `weir-bench versus-flink` and `weir-bench state` can run both engines on
 * the same work.
 *
 * The input is Weir's ReferenceWorkload, event for event: event i has key i mod keys, value
 * SplitMix64(seed ^ i) mod 100, event time i * 1000 / eventsPerSecond ms; source subtask s of p
 * emits i = s, s + p, ... (Weir's GeneratorSource stripes), from Flink's checkpointed
 * DataGeneratorSource. Watermarks trail the largest timestamp by 1 ms and come every
 * eventsPerSecond / 10 records (Weir's "every 100 ms of event time"), so that both engines keep
 * the same windows open. State is Flink's heap backend (hashmap, full snapshots) or RocksDB
 * (incremental checkpoints unless --incremental false). Prints one JSON line in the shape of
 * weir-bench's Measurement, with the completed checkpoints' figures from the REST API.
 */
public final class FlinkPeerJob {
    /** Mirrors Weir's ReferenceEvent. */
    public static final class Event {
        public int key;
        public long value;
        /** Event time, ms. */
        public long time;

        public Event() {}

        public Event(int key, long value, long time) {
            this.key = key;
            this.value = value;
            this.time = time;
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

    static final long SEED = 42;

    static long splitMix64(long state) {
        long z = state + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Index space of the generator: split k (one per source subtask) holds the indices
     * k·STRIPE … k·STRIPE + n_k − 1, its n_k = ⌈(events − k) / p⌉ events; see {@link ReferenceEvents}.
     */
    static final long STRIPE = 1L << 40;

    /**
     * The DataGeneratorSource's sequence cut into Weir's stripes instead of contiguous ranges:
     * one split per source subtask, split k standing for events k, k + p, k + 2p, … Contiguous
     * ranges would put subtask 0 at the start of event time and subtask 1 in its middle, and
     * the watermark (their minimum) would keep half the run's windows open.
     */
    static final class StripedSequence extends NumberSequenceSource {
        private final long events;
        private final int parallelism;

        StripedSequence(long events, int parallelism) {
            super(0, parallelism * STRIPE - 1);
            this.events = events;
            this.parallelism = parallelism;
        }

        @Override
        protected List<NumberSequenceSplit> splitNumberRange(long from, long to, int splits) {
            if (splits != parallelism) {
                throw new IllegalStateException("the generator has " + splits + " readers, its stripes were cut for " + parallelism);
            }
            List<NumberSequenceSplit> result = new ArrayList<>();
            for (int k = 0; k < parallelism; k++) {
                long count = events > k ? (events - k + parallelism - 1) / parallelism : 0;
                if (count > 0) result.add(new NumberSequenceSplit(Integer.toString(k), k * STRIPE, k * STRIPE + count - 1));
            }
            return result;
        }
    }

    /**
     * Weir's ReferenceWorkload: index k·STRIPE + o of {@link StripedSequence} is event
     * i = k + o·p, with key i mod keys, value SplitMix64(seed ^ i) mod 100 and event time
     * i · 1000 / eventsPerSecond ms. The split's position is Flink's checkpointed source state.
     */
    static final class ReferenceEvents implements GeneratorFunction<Long, Event> {
        private final int parallelism;
        private final int keys;
        private final long eventsPerSecond;

        ReferenceEvents(int parallelism, int keys, long eventsPerSecond) {
            this.parallelism = parallelism;
            this.keys = keys;
            this.eventsPerSecond = eventsPerSecond;
        }

        @Override
        public Event map(Long index) {
            long i = index / STRIPE + (index % STRIPE) * parallelism;
            long value = Long.remainderUnsigned(splitMix64(SEED ^ i), 100);
            return new Event((int) (i % keys), value, i * 1000 / eventsPerSecond);
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

    /**
     * When the first result reached a sink (System.nanoTime), 0 before: the mini-cluster runs the
     * tasks in this JVM, so the restore measurement reads it here.
     */
    static final AtomicLong FIRST_RESULT_NANOS = new AtomicLong();

    /**
     * The first part of a restore measurement: lets {@code total} records through (all source
     * subtasks together), then holds the rest back without blocking the source's thread, so that
     * checkpoints go on while the input waits (Weir's {@code --stop-at}, without ending the
     * input: a finished job's last checkpoint would restore nothing).
     */
    static final class PauseAfter implements RateLimiterStrategy<NumberSequenceSplit> {
        static final AtomicLong PASSED = new AtomicLong();
        private final long total;

        PauseAfter(long total) { this.total = total; }

        @Override
        public RateLimiter<NumberSequenceSplit> createRateLimiter(int parallelism) {
            return permits -> PASSED.addAndGet(permits) <= total ? CompletableFuture.completedFuture(null) : new CompletableFuture<Void>();
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
            if (FIRST_RESULT_NANOS.get() == 0) FIRST_RESULT_NANOS.compareAndSet(0, System.nanoTime());
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
        long eventsPerSecond = Long.parseLong(options.getOrDefault("events-per-second", "100000"));
        long checkpointInterval = Long.parseLong(options.getOrDefault("checkpoint-interval", "1000"));
        String stateBackend = options.getOrDefault("state-backend", "hashmap");
        boolean incremental = Boolean.parseBoolean(options.getOrDefault("incremental", "true"));
        String directory = options.get("directory");
        boolean checkpointed = !job.equals("window");
        if ((checkpointed || job.equals("window-file-sink")) && directory == null) {
            throw new IllegalArgumentException("--directory DIR is needed for checkpoints and the file sink's output");
        }
        if (!stateBackend.equals("hashmap") && !stateBackend.equals("rocksdb")) {
            throw new IllegalArgumentException("--state-backend must be hashmap (heap state, full snapshots: what Weir's heap backend does) or rocksdb");
        }

        long restoreAt = Long.parseLong(options.getOrDefault("restore-at", "0"));
        if (restoreAt > 0 && !checkpointed) throw new IllegalArgumentException("--restore-at needs a checkpointed job");

        if (restoreAt > 0) {
            measureRestore(job, parallelism, events, keys, eventsPerSecond, checkpointInterval, stateBackend, incremental, directory, restoreAt);
            return;
        }
        int restPort = freeLoopbackPort();
        Configuration configuration = configuration(restPort, checkpointed, stateBackend, incremental, directory);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, configuration);
        if (checkpointed) env.enableCheckpointing(checkpointInterval);  // exactly-once is the default mode
        boolean checksummed = build(env, job, parallelism, events, keys, eventsPerSecond, directory, RateLimiterStrategy.noOp());
        JobClient client = env.executeAsync("weir peer: " + job);
        CheckpointHistory history = new CheckpointHistory(restPort, client.getJobID().toHexString());
        Thread poller = new Thread(history, "checkpoint-history");
        poller.setDaemon(true);
        if (checkpointed) poller.start();
        JobExecutionResult result = client.getJobExecutionResult().get();
        history.stop();
        poller.join();
        long count = checksummed ? (Long) result.getAccumulatorResult("count") : 0;
        long checksum = checksummed ? (Long) result.getAccumulatorResult("checksum") : 0;
        System.out.println("{\"job\":\"" + job + "\",\"engine\":\"flink\",\"parallelism\":" + parallelism + ",\"events\":" + events
            + ",\"seconds\":" + (result.getNetRuntime() / 1000.0) + ",\"peakRSSKilobytes\":" + peakRSSKilobytes()
            + ",\"resultCount\":" + count + ",\"checksum\":" + checksum
            + (checkpointed ? ",\"checkpoints\":" + history.json() : "") + "}");
    }

    static Configuration configuration(int restPort, boolean checkpointed, String stateBackend, boolean incremental, String directory) {
        Configuration configuration = new Configuration();
        // The REST endpoint the mini-cluster runs anyway, on loopback: where CheckpointHistory reads
        // the checkpoints' figures.
        configuration.set(RestOptions.ADDRESS, "127.0.0.1");
        configuration.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        configuration.set(RestOptions.PORT, restPort);
        configuration.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 100_000);
        if (checkpointed) {
            configuration.set(StateBackendOptions.STATE_BACKEND, stateBackend);
            // Only RocksDB checkpoints incrementally; the option is ignored by hashmap.
            configuration.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, stateBackend.equals("rocksdb") && incremental);
            configuration.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            configuration.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file://" + directory + "/checkpoints");
        }
        return configuration;
    }

    /** The job's pipeline on `env`; whether its sink counts and checksums the results. */
    static boolean build(StreamExecutionEnvironment env, String job, int parallelism, long events, int keys, long eventsPerSecond, String directory,
                         RateLimiterStrategy<NumberSequenceSplit> rate) {
        DataGeneratorSource<Event> generator = new DataGeneratorSource<>(new ReferenceEvents(parallelism, keys, eventsPerSecond),
            new StripedSequence(events, parallelism), rate, TypeInformation.of(Event.class));
        long watermarkEvery = Math.max(1, eventsPerSecond / 10);
        // Operator ids fixed, so that a restored job finds its state whatever the graph's hashes.
        DataStream<Event> input = env.fromSource(generator,
            WatermarkStrategy.<Event>forGenerator(context -> new EveryRecords(watermarkEvery)).withTimestampAssigner((event, previous) -> event.time),
            "Generator").uid("generator");
        switch (job) {
            case "window":
            case "window-checkpointed":
            case "window-file-sink": {
                DataStream<WindowSum> sums = input.keyBy(event -> event.key)
                    .window(TumblingEventTimeWindows.of(Duration.ofSeconds(1)))
                    .aggregate(new Sum(), new ToWindowSum())
                    .name("WindowSum").uid("window-sum");
                if (job.equals("window-file-sink")) {
                    FileSink<String> files = FileSink.forRowFormat(new Path("file://" + directory + "/out"), new SimpleStringEncoder<String>("UTF-8"))
                        .withBucketAssigner(new BasePathBucketAssigner<>())
                        .withRollingPolicy(OnCheckpointRollingPolicy.build())
                        .build();
                    sums.map(sum -> sum.key + "," + sum.windowStart + "," + sum.sum + "," + sum.count).uid("format").sinkTo(files).name("Files").uid("files");
                    return false;
                }
                sums.addSink(new ChecksumSink<WindowSum>(sum -> sum.sum * 31 + sum.windowStart + sum.key)).name("Checksum").uid("checksum");
                return true;
            }
            case "running-sum":
            case "running-sum-checkpointed":
                input.keyBy(event -> event.key)
                    .reduce((a, b) -> new Event(a.key, a.value + b.value, b.time))
                    .name("RunningSum").uid("running-sum")
                    .addSink(new ChecksumSink<Event>(event -> event.value * 31 + event.key)).name("Checksum").uid("checksum");
                return true;
            default:
                throw new IllegalArgumentException("unknown job " + job);
        }
    }

    /**
     * Flink's restore, measured as Weir's is: a job runs the first {@code restoreAt} events of an
     * input of {@code events} and is cancelled after a checkpoint that holds them has completed
     * (retained on cancellation); a second job restores that checkpoint and the time from its
     * submission to its first result is the figure. Both run in this JVM, so the second one has
     * a warm JIT and no JVM start-up (Weir's resume is a fresh process).
     */
    static void measureRestore(String job, int parallelism, long events, int keys, long eventsPerSecond, long checkpointInterval,
                               String stateBackend, boolean incremental, String directory, long restoreAt) throws Exception {
        int restPort = freeLoopbackPort();
        Configuration first = configuration(restPort, true, stateBackend, incremental, directory);
        first.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, first);
        env.enableCheckpointing(checkpointInterval);
        build(env, job, parallelism, events, keys, eventsPerSecond, directory, new PauseAfter(restoreAt));
        JobClient client = env.executeAsync("weir peer: " + job + " until " + restoreAt);
        CheckpointHistory history = new CheckpointHistory(restPort, client.getJobID().toHexString());
        while (PauseAfter.PASSED.get() <= restoreAt) {
            if (client.getJobExecutionResult().isDone()) throw new IllegalStateException("the job ended before its input reached " + restoreAt);
            Thread.sleep(20);
        }
        long pausedAt = System.currentTimeMillis();
        JsonNode checkpoint;
        while ((checkpoint = history.completedTriggeredAfter(pausedAt)) == null) Thread.sleep(100);
        client.cancel().get();
        try {
            client.getJobExecutionResult().get();
        } catch (Exception cancelled) {
            // The cancelled job ends exceptionally: expected.
        }
        // Flink retains only its latest completed checkpoint: a later one than the checkpoint
        // waited for may have subsumed it before the cancellation. The newest on disk is it.
        java.nio.file.Path jobDirectory = Paths.get(directory, "checkpoints", client.getJobID().toHexString());
        long newest;
        try (java.util.stream.Stream<java.nio.file.Path> entries = Files.list(jobDirectory)) {
            newest = entries.map(entry -> entry.getFileName().toString()).filter(name -> name.matches("chk-[0-9]+"))
                .filter(name -> Files.exists(jobDirectory.resolve(name).resolve("_metadata")))
                .mapToLong(name -> Long.parseLong(name.substring(4))).max()
                .orElseThrow(() -> new IllegalStateException("no retained checkpoint in " + jobDirectory));
        }
        String path = jobDirectory.resolve("chk-" + newest).toString();
        JsonNode restoredFigures = history.completed(newest);
        long restoredStateSize = (restoredFigures != null ? restoredFigures : checkpoint).path("state_size").asLong();

        int secondPort = freeLoopbackPort();
        Configuration second = configuration(secondPort, true, stateBackend, incremental, directory);
        second.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
        StreamExecutionEnvironment restored = StreamExecutionEnvironment.createLocalEnvironment(parallelism, second);
        restored.enableCheckpointing(checkpointInterval);
        build(restored, job, parallelism, events, keys, eventsPerSecond, directory, RateLimiterStrategy.noOp());
        FIRST_RESULT_NANOS.set(0);
        long submitted = System.nanoTime();
        JobClient restoredClient = restored.executeAsync("weir peer: " + job + " restored");
        while (FIRST_RESULT_NANOS.get() == 0) {
            if (restoredClient.getJobExecutionResult().isDone()) {
                restoredClient.getJobExecutionResult().get();  // throws the failure, if any
                throw new IllegalStateException("the restored job ended without a result");
            }
            Thread.sleep(5);
        }
        double restoreSeconds = (FIRST_RESULT_NANOS.get() - submitted) / 1e9;
        restoredClient.cancel().get();
        try {
            restoredClient.getJobExecutionResult().get();
        } catch (Exception cancelled) {
            // Cancelled on purpose.
        }
        System.out.println("{\"job\":\"" + job + "\",\"engine\":\"flink\",\"parallelism\":" + parallelism + ",\"events\":" + events
            + ",\"seconds\":" + restoreSeconds + ",\"peakRSSKilobytes\":" + peakRSSKilobytes()
            + ",\"resultCount\":0,\"checksum\":0,\"restoreSeconds\":" + restoreSeconds
            + ",\"restoredStateSize\":" + restoredStateSize + "}");
    }

    /**
     * Polls the mini-cluster's REST API (GET /jobs/:id/checkpoints) while the job runs and keeps
     * the figures of every completed checkpoint it saw: end-to-end duration, the full state size
     * (what a restore reads) and the checkpointed size (what this checkpoint wrote: for an
     * incremental one, its new files). A checkpoint that completes after the last poll (the
     * final one of a bounded job) may be missing.
     */
    static final class CheckpointHistory implements Runnable {
        private final HttpClient http = HttpClient.newHttpClient();
        private final URI uri;
        private final ObjectMapper mapper = new ObjectMapper();
        private final Map<Long, JsonNode> completed = new TreeMap<>();
        private volatile boolean running = true;

        CheckpointHistory(int port, String jobID) {
            uri = URI.create("http://127.0.0.1:" + port + "/jobs/" + jobID + "/checkpoints");
        }

        void stop() { running = false; }

        @Override
        public void run() {
            while (running) {
                poll();
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
            poll();
        }

        private synchronized void poll() {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) return;
                for (JsonNode checkpoint : mapper.readTree(response.body()).path("history")) {
                    if (checkpoint.path("status").asText().equals("COMPLETED")) completed.put(checkpoint.path("id").asLong(), checkpoint);
                }
            } catch (IOException | InterruptedException unreachable) {
                // The cluster shuts down when the job ends: the last poll may find no endpoint.
            }
        }

        /** A completed checkpoint triggered at or after {@code millis} (epoch ms), polled now; null if none. */
        synchronized JsonNode completedTriggeredAfter(long millis) {
            poll();
            for (JsonNode checkpoint : completed.values()) {
                if (checkpoint.path("trigger_timestamp").asLong() >= millis) return checkpoint;
            }
            return null;
        }

        /** The figures of completed checkpoint {@code id}, if a poll saw it. */
        synchronized JsonNode completed(long id) { return completed.get(id); }

        /** In the shape of weir-bench's CheckpointFigures. */
        synchronized String json() {
            StringBuilder out = new StringBuilder("[");
            for (JsonNode checkpoint : completed.values()) {
                if (out.length() > 1) out.append(',');
                out.append("{\"id\":").append(checkpoint.path("id").asLong())
                    .append(",\"durationMilliseconds\":").append(checkpoint.path("end_to_end_duration").asLong())
                    .append(",\"stateSize\":").append(checkpoint.path("state_size").asLong())
                    .append(",\"checkpointedSize\":").append(checkpoint.path("checkpointed_size").asLong()).append('}');
            }
            return out.append(']').toString();
        }
    }

    static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** VmHWM of this process: the peak resident set, as getrusage's ru_maxrss reports Weir's. */
    static long peakRSSKilobytes() throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return 0;
    }
}
