import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Weir
import WeirReferenceJobs
import WeirTestSupport

/// The `weir` command as a user runs it: the built binary in a child process.
final class WeirCommandTests: XCTestCase {
    private var data = ""

    override func setUp() {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    private typealias Run = WeirCommandRun

    private func weir(_ arguments: [String]) throws -> Run { try WeirCommandRun(arguments) }

    /// Runs `weir` and sends it SIGINT (Ctrl-C) after the given time.
    private func weir(_ arguments: [String], interruptedAfterMicroseconds delay: useconds_t) throws -> Run {
        let process = Process()
        process.executableURL = CrashHarness.executable(named: "weir")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        usleep(delay)
        kill(process.processIdentifier, SIGINT)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    private var runArguments: [String] {
        ["run", "--data-dir", data, "--events", "300000", "--keys", "1000", "--rate", "120000", "--checkpoint-interval", "100", "--parallelism", "2"]
    }

    /// The issue's scenario: `weir run`, `kill -9` mid-run (five times), `weir run --resume`,
    /// then `weir verify` says exactly-once OK.
    func testKillNineThenResumeThenVerifySaysExactlyOnce() throws {
        var harness = CrashHarness(executable: CrashHarness.executable(named: "weir"), arguments: runArguments)
        harness.randomKills = 5
        harness.killDelayMilliseconds = 300...700
        let outcome = try harness.run()
        XCTAssertEqual(outcome.kills, 5)
        let verify = try weir(["verify", "--data-dir", data])
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(verify.output.contains("exactly-once: OK (3000 rows)"), verify.output)
    }

    func testVerifyOfAnUnfinishedRunSaysWhatIsMissingAndHowToContinue() throws {
        let process = Process()
        process.executableURL = CrashHarness.executable(named: "weir")
        process.arguments = runArguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        usleep(1_200_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let verify = try weir(["verify", "--data-dir", data])
        XCTAssertEqual(verify.status, 1)
        XCTAssertTrue(verify.output.contains("rows lost, 0 duplicated, 0 unexpected"), verify.output)
        XCTAssertTrue(verify.output.contains("continue it with weir run --resume"), verify.output)
        XCTAssertTrue(verify.output.contains("  lost: key="), verify.output)
    }

    func testRunRefusesToOverwriteAnEarlierRunAndFreshStartsOver() throws {
        let small = ["run", "--data-dir", data, "--events", "20000", "--keys", "10", "--parallelism", "1"]
        XCTAssertEqual(try weir(small).status, 0)
        let again = try weir(small)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("holds an earlier run; continue it with --resume, or delete it and start over with --fresh"), again.output)
        let fresh = try weir(small + ["--fresh"])
        XCTAssertEqual(fresh.status, 0, fresh.output)
        XCTAssertTrue(try weir(["verify", "--data-dir", data]).output.contains("exactly-once: OK"))
        let both = try weir(small + ["--fresh", "--resume"])
        XCTAssertTrue(both.output.contains("choose one"), both.output)
    }

    func testCheckpointsListAndShowVerifyChecksumsAndNameADamagedFile() throws {
        XCTAssertEqual(try weir(["run", "--data-dir", data, "--events", "200000", "--keys", "500", "--rate", "400000", "--checkpoint-interval", "100"]).status, 0)
        let list = try weir(["checkpoints", "list", data + "/checkpoints"])
        XCTAssertEqual(list.status, 0)
        XCTAssertTrue(list.output.contains("final  checksums OK"), list.output)
        let show = try weir(["checkpoints", "show", data + "/checkpoints"])
        XCTAssertTrue(show.output.contains("checksums: OK"), show.output)
        XCTAssertTrue(show.output.contains("operator 3-Files ×"), show.output)

        let older = try XCTUnwrap(try FileCheckpointStorage(directory: data + "/checkpoints").storedCheckpoints().last)
        let file = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: older.reference).first { $0.hasSuffix(".state") })
        var bytes = try DurableFile.read(older.reference + "/" + file)
        bytes[bytes.count / 2] ^= 0xff
        try DurableFile.writeAndSync(bytes, to: older.reference + "/" + file)
        let damaged = try weir(["checkpoints", "list", data + "/checkpoints"])
        XCTAssertTrue(damaged.output.contains("chk-\(older.checkpointID)  NOT USABLE") && damaged.output.contains(file), damaged.output)
        let missing = try weir(["checkpoints", "list", data + "/nowhere"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("no checkpoint directory at"), missing.output)
    }

    /// `--state-backend rocksdb` takes incremental checkpoints unless `--rocksdb-checkpoints full`
    /// says otherwise; `checkpoints list` and `show` say what they wrote and reference, and
    /// `list` names a damaged shared file.
    func testRocksDBCheckpointsAreIncrementalByDefaultAndListAndShowSayWhatTheyHold() throws {
        let local = data + "-rocksdb"
        defer { try? FileManager.default.removeItem(atPath: local) }
        let common = ["--events", "200000", "--keys", "500", "--rate", "400000", "--checkpoint-interval", "100", "--state-backend", "rocksdb", "--rocksdb-dir", local]
        let run = try weir(["run", "--data-dir", data] + common)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("state in RocksDB (incremental checkpoints)"), run.output)
        XCTAssertTrue(try weir(["verify", "--data-dir", data]).output.contains("exactly-once: OK"))
        let list = try weir(["checkpoints", "list", data + "/checkpoints"])
        XCTAssertTrue(list.output.contains(" written)") && list.output.contains("final  checksums OK"), list.output)
        let show = try weir(["checkpoints", "show", data + "/checkpoints"])
        XCTAssertTrue(show.output.contains("shared files"), show.output)
        XCTAssertTrue(show.output.contains("rocksdb files for key groups 0...63") && show.output.contains("uploaded by this checkpoint"), show.output)

        let shared = data + "/checkpoints/shared"
        let instance = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: shared).first)
        let sst = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: shared + "/" + instance).first { $0.hasSuffix(".sst") })
        var bytes = try DurableFile.read(shared + "/" + instance + "/" + sst)
        bytes[bytes.count / 2] ^= 0xff
        try DurableFile.writeAndSync(bytes, to: shared + "/" + instance + "/" + sst)
        let damaged = try weir(["checkpoints", "list", data + "/checkpoints"])
        XCTAssertTrue(damaged.output.contains("NOT USABLE") && damaged.output.contains(instance + "/" + sst), damaged.output)

        let full = try weir(["run", "--data-dir", data, "--fresh", "--rocksdb-checkpoints", "full"] + common)
        XCTAssertEqual(full.status, 0, full.output)
        XCTAssertTrue(full.output.contains("state in RocksDB (full checkpoints)"), full.output)
        XCTAssertFalse(try weir(["checkpoints", "show", data + "/checkpoints"]).output.contains("rocksdb files"), "full checkpoints hold no RocksDB files")

        let heap = try weir(["run", "--data-dir", data, "--fresh", "--rocksdb-checkpoints", "full"])
        XCTAssertNotEqual(heap.status, 0)
        XCTAssertTrue(heap.output.contains("--rocksdb-checkpoints is for --state-backend rocksdb"), heap.output)
        let unknown = try weir(["run", "--data-dir", data, "--fresh", "--state-backend", "rocksdb", "--rocksdb-checkpoints", "partial"])
        XCTAssertTrue(unknown.output.contains("--rocksdb-checkpoints must be incremental or full"), unknown.output)
    }

    func testVerifyWithoutARunSaysHowToStartOne() throws {
        let verify = try weir(["verify", "--data-dir", data])
        XCTAssertNotEqual(verify.status, 0)
        XCTAssertTrue(verify.output.contains("holds no weir run"), verify.output)
    }
}

extension WeirCommandTests {
    /// Ctrl-C stops the run cleanly (exit status 130); `--resume` finishes it exactly once.
    func testInterruptStopsCleanlyAndResumeFinishesExactlyOnce() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-int-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["run", "--data-dir", data, "--events", "300000", "--keys", "1000", "--rate", "120000", "--checkpoint-interval", "100"]
        let stopped = try weir(arguments, interruptedAfterMicroseconds: 1_000_000)
        XCTAssertEqual(stopped.status, 130, stopped.output)
        XCTAssertTrue(stopped.output.contains("stopped; the latest completed checkpoint is kept: continue with weir run --resume"), stopped.output)

        XCTAssertEqual(try weir(arguments + ["--resume"]).status, 0)
        let verdict = try weir(["verify", "--data-dir", data]).output
        XCTAssertTrue(verdict.contains("exactly-once: OK (3000 rows)"), verdict)
    }
}

extension WeirCommandTests {
    func testFileInputWithAMalformedLineFailsOrSkipsAndCountsByFlag() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-files-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/input", withIntermediateDirectories: true)
        var lines = (0..<3_000).map { "\($0 % 7),\($0),1" }
        lines.insert("this,is not,a number", at: 1_000)
        lines.insert("3,4", at: 2_000)
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/input/events.csv", atomically: true, encoding: .utf8)

        let failing = try weir(["run", "--data-dir", root + "/fail", "--source", "files", "--input", root + "/input", "--parallelism", "1"])
        XCTAssertNotEqual(failing.status, 0)
        XCTAssertTrue(failing.output.contains("malformed input line (expected key,timestamp,value): \"this,is not,a number\""), failing.output)
        XCTAssertTrue(failing.output.contains("--bad-lines skip"), failing.output)

        let skipping = try weir(["run", "--data-dir", root + "/skip", "--source", "files", "--input", root + "/input", "--bad-lines", "skip", "--parallelism", "1"])
        XCTAssertEqual(skipping.status, 0, skipping.output)
        XCTAssertTrue(skipping.output.contains("2 malformed input lines were skipped"), skipping.output)
        let rows = try String(contentsOfFile: try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: root + "/skip/output").first { !$0.hasPrefix(".") }.map { root + "/skip/output/" + $0 }), encoding: .utf8)
        XCTAssertTrue(rows.contains(",3000,"), "windows of the file's event time: \(rows.prefix(200))")
        let verify = try weir(["verify", "--data-dir", root + "/skip"])
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(verify.output.contains("exactly-once: OK") && verify.output.contains("2 malformed input lines left out"), "weir verify recomputes file-fed runs: \(verify.output)")
    }

    func testBadFlagsSayWhatIsWrong() throws {
        for (arguments, message) in [
            (["run", "--source", "kafak"], "--source must be generator, files or kafka"),
            (["run", "--sink", "s4"], "--sink must be files, kafka, postgres or s3"),
            (["run", "--sink", "s3"], "--sink s3 needs --output s3://bucket/prefix"),
            (["run", "--sink", "s3", "--output", "s3:///x"], "names no bucket"),
            (["run", "--source", "kafka", "--kafka-bootstrap", "localhost"], "--kafka-bootstrap localhost is not host:port"),
            (["run", "--source", "files"], "--source files needs --input DIR"),
            (["run", "--log-level", "loud"], "--log-level must be one of"),
            (["run", "--parallelism", "0"], "--parallelism must be between 1 and 128"),
        ] {
            let result = try weir(arguments)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.output.contains(message), "\(arguments): \(result.output)")
        }
    }
}

extension WeirCommandTests {
    /// Scrapes the metrics endpoint twice while a job runs: counters move, the checkpoint gauge
    /// grows, and the JSON status says the job is running.
    func testMetricsEndpointWhileAJobRuns() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-metrics-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let process = Process()
        process.executableURL = CrashHarness.executable(named: "weir")
        process.arguments = ["run", "--data-dir", data, "--events", "600000", "--keys", "1000", "--rate", "150000",
                             "--checkpoint-interval", "200", "--metrics-port", "0"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var seen = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(10)
        while port == nil && Date() < deadline {
            seen += String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
            if let range = seen.range(of: #"metrics: http://127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) {
                port = Int(seen[range].split(separator: ":").last!.split(separator: "/").first!)
            }
        }
        let found = try XCTUnwrap(port, seen)

        func scrape(_ path: String) throws -> String {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var body: Data?
            nonisolated(unsafe) var failure: (any Error)?
            URLSession.shared.dataTask(with: URL(string: "http://127.0.0.1:\(found)\(path)")!) { data, _, error in
                body = data
                failure = error
                done.signal()
            }.resume()
            done.wait()
            if let failure { throw failure }
            return String(decoding: body ?? Data(), as: UTF8.self)
        }
        func value(_ metric: String, in text: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(metric) }.flatMap { Double($0.split(separator: " ").last!) }
        }
        usleep(1_200_000)
        let first = try scrape("/metrics")
        usleep(1_200_000)
        let second = try scrape("/metrics")
        let records = #"weir_records_out_total{operator="Generator"}"#
        XCTAssertGreaterThan(try XCTUnwrap(value(records, in: second), second), try XCTUnwrap(value(records, in: first), first))
        XCTAssertGreaterThan(try XCTUnwrap(value("weir_last_checkpoint_id", in: second)), try XCTUnwrap(value("weir_last_checkpoint_id", in: first)))
        XCTAssertNotNil(value(#"weir_sink_transactions_committed_total{operator="Files"}"#, in: second), second)
        XCTAssertNotNil(value(#"weir_watermark_milliseconds{operator="WindowSum"}"#, in: second), second)
        XCTAssertNotNil(value(#"weir_input_backpressure_nanoseconds_total{operator="WindowSum"}"#, in: second) ?? value("weir_last_checkpoint_alignment_microseconds", in: second), second)
        XCTAssertNotNil(value("weir_last_checkpoint_alignment_microseconds", in: second), second)
        let status = try scrape("/status")
        XCTAssertTrue(status.contains(#""state":"running""#), status)
        XCTAssertTrue(try scrape("/nothing").isEmpty == false)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }
}

extension WeirCommandTests {
    func testInterruptWithAFinalCheckpointCommitsAndResumeFinishes() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-cli-stop-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let arguments = ["run", "--data-dir", data, "--events", "300000", "--keys", "1000", "--rate", "120000", "--checkpoint-interval", "200"]
        let stopped = try weir(arguments + ["--on-interrupt", "checkpoint"], interruptedAfterMicroseconds: 1_000_000)
        XCTAssertEqual(stopped.status, 0, stopped.output)
        XCTAssertTrue(stopped.output.contains("stopped after a final checkpoint"), stopped.output)
        let partial = try weir(["verify", "--data-dir", data])
        XCTAssertTrue(partial.output.contains("0 duplicated, 0 unexpected") && partial.output.contains("weir run --resume"), partial.output)
        XCTAssertEqual(try weir(arguments + ["--resume"]).status, 0)
        XCTAssertTrue(try weir(["verify", "--data-dir", data]).output.contains("exactly-once: OK (3000 rows)"))
    }
}
