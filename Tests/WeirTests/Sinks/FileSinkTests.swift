import XCTest
import Synchronization
@testable import Weir
import WeirTestSupport

/// The rows committed into a file sink's directory (hidden entries are not final).
func committedRows(in directory: String) throws -> [Int64] {
    var rows: [Int64] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) where !name.hasPrefix(".") {
        let text = String(decoding: try DurableFile.read(directory + "/" + name), as: UTF8.self)
        rows += text.split(separator: "\n").map { Int64($0)! }
    }
    return rows
}

final class FileSinkTests: XCTestCase {
    private var root = ""
    private var output: String { root + "/out" }
    private var checkpoints: String { root + "/checkpoints" }

    override func setUp() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-filesink-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func job(events: Int64, parallelism: Int, checkpointsEnabled: Bool = true, injector: FailureInjector? = nil,
                     sink: FileSink<Int64>? = nil, options: TwoPhaseCommitOptions = TwoPhaseCommitOptions()) -> StreamEnvironment {
        let env = StreamEnvironment(parallelism: parallelism)
        if checkpointsEnabled { env.checkpointing = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(30)) }
        env.warningHandler = { _ in }
        env.addSource(GeneratorSource(count: events, ratePerSecond: 200_000) { StreamRecord($0) })
            .keyBy { $0 % 97 }
            .map(name: "Inject") { value -> Int64 in
                try injector?.check()
                return value
            }
            .sink(sink ?? FileSink(directory: output, encoder: .description), name: "Files", options: options)
        return env
    }

    func testEveryRowIsCommittedExactlyOnceAcrossTaskFailures() throws {
        let env = job(events: 100_000, parallelism: 2, injector: FailureInjector([15_000, 20_000, 10_000]))
        env.restartStrategy = .fixedDelay(attempts: 5, delay: .zero)
        let result = try env.execute("files")
        XCTAssertEqual(result.restarts, 3)
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<100_000))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output + "/.inprogress"), [], "no temporary file is left")
    }

    func testWithoutCheckpointsRowsAreCommittedAtTheEndOfInput() throws {
        try job(events: 10_000, parallelism: 2, checkpointsEnabled: false).execute("files")
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<10_000))
    }

    func testPartsRollBySizeAndByCheckpoint() throws {
        var sink = FileSink<Int64>(directory: output, encoder: .description)
        sink.rollingSizeBytes = 10_000
        try job(events: 50_000, parallelism: 1, sink: sink).execute("files")
        let names = try FileManager.default.contentsOfDirectory(atPath: output).filter { !$0.hasPrefix(".") }
        XCTAssertGreaterThan(names.count, 25, "about 290 KB of rows in parts of 10 KB")
        for name in names {
            let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: output + "/" + name)[.size] as? Int)
            XCTAssertLessThan(size, 10_000 + 16, "\(name) rolled over at the size")
        }
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<50_000))
    }

    func testCommitIsIdempotentAndALostTransactionIsAnError() throws {
        let writer = try FileSink<Int64>(directory: output, encoder: .description).makeWriter(SinkContext(subtask: 0, parallelism: 1, operatorName: "Files"))
        var transaction = try writer.beginTransaction(checkpointID: 7)
        for value: Int64 in 1...3 { try writer.write(value, timestamp: 0, to: &transaction) }
        try writer.preCommit(&transaction)
        XCTAssertEqual(try committedRows(in: output), [], "pre-committed is not visible")
        try writer.commit(transaction)
        try writer.commit(transaction)
        XCTAssertEqual(try committedRows(in: output), [1, 2, 3], "committing twice is harmless")
        try FileManager.default.removeItem(atPath: output + "/" + transaction.parts[0].finalFile)
        XCTAssertThrowsError(try writer.commit(transaction)) { error in
            XCTAssertTrue("\(error)".contains("transaction lost"), "\(error)")
            XCTAssertTrue("\(error)".contains("checkpoint 7"), "\(error)")
        }
        var aborted = try writer.beginTransaction(checkpointID: 8)
        try writer.write(4, timestamp: 0, to: &aborted)
        try writer.preCommit(&aborted)
        try writer.abort(aborted)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/" + aborted.parts[0].temporaryFile))
    }

    func testLeftoversOfEarlierRunsAreDeletedOnStart() throws {
        try FileManager.default.createDirectory(atPath: output + "/.inprogress", withIntermediateDirectories: true)
        let leftovers = ["part-0-3-0.txt.inprogress", "part-5-9-1.txt.inprogress"]  // subtask 5 of an earlier, larger parallelism
        for name in leftovers { try "999999\n".write(toFile: output + "/.inprogress/" + name, atomically: true, encoding: .utf8) }
        try "keep\n".write(toFile: output + "/.inprogress/other-0-1-0.txt.inprogress", atomically: true, encoding: .utf8)
        try job(events: 1_000, parallelism: 2).execute("files")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output + "/.inprogress"), ["other-0-1-0.txt.inprogress"],
                       "this sink's leftovers are gone, another prefix's file is not touched")
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<1_000))
    }

    func testCSVQuotesFieldsThatNeedIt() {
        let encoder = RowEncoder<[String]>.csv(header: ["name", "note"]) { $0 }
        XCTAssertEqual(encoder.header, "name,note")
        XCTAssertEqual(encoder.encode(["plain", "with,comma"]), "plain,\"with,comma\"")
        XCTAssertEqual(encoder.encode(["say \"hi\"", "two\nlines"]), "\"say \"\"hi\"\"\",\"two\nlines\"")
    }

    final class FailureBudget: Sendable {
        let remaining: Atomic<Int>
        init(_ count: Int) { remaining = Atomic(count) }
    }

    /// A file sink whose commits fail a given number of times before they work.
    struct FlakyCommitSink: TwoPhaseCommitSink {
        let inner: FileSink<Int64>
        let failures: FailureBudget

        final class Writer: TwoPhaseCommitWriter {
            let inner: FileSinkWriter<Int64>
            let sink: FlakyCommitSink
            init(inner: FileSinkWriter<Int64>, sink: FlakyCommitSink) {
                self.inner = inner
                self.sink = sink
            }
            func beginTransaction(checkpointID: Int64) throws -> FileSink<Int64>.Transaction { try inner.beginTransaction(checkpointID: checkpointID) }
            func write(_ value: Int64, timestamp: Int64, to transaction: inout FileSink<Int64>.Transaction) throws { try inner.write(value, timestamp: timestamp, to: &transaction) }
            func preCommit(_ transaction: inout FileSink<Int64>.Transaction) throws { try inner.preCommit(&transaction) }
            func commit(_ transaction: FileSink<Int64>.Transaction) throws {
                if sink.failures.remaining.subtract(1, ordering: .relaxed).oldValue > 0 { throw InjectedFailure(message: "commit refused") }
                try inner.commit(transaction)
            }
            func abort(_ transaction: FileSink<Int64>.Transaction) throws { try inner.abort(transaction) }
            func abortLingeringTransactions(known: [FileSink<Int64>.Transaction], parallelism: Int) throws {
                try inner.abortLingeringTransactions(known: known, parallelism: parallelism)
            }
        }

        func makeWriter(_ context: SinkContext) throws -> Writer { Writer(inner: try inner.makeWriter(context), sink: self) }
    }

    func testFailingCommitIsRetriedUntilItSucceeds() throws {
        let sink = FlakyCommitSink(inner: FileSink(directory: output, encoder: .description), failures: FailureBudget(3))
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(30))
        let warnings = Warnings()
        env.warningHandler = { warnings.add($0) }
        var options = TwoPhaseCommitOptions()
        options.commitRetryDelay = .milliseconds(1)
        env.addSource(GeneratorSource(count: 20_000, ratePerSecond: 100_000) { StreamRecord($0) }).sink(sink, options: options)
        let result = try env.execute("files")
        XCTAssertEqual(result.restarts, 0, "retries, not restarts")
        XCTAssertEqual(warnings.all.filter { $0.contains("commit refused") }.count, 3)
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<20_000))
    }

    func testCommitThatKeepsFailingFailsTheJobAndTheRestartCommitsIt() throws {
        let sink = FlakyCommitSink(inner: FileSink(directory: output, encoder: .description), failures: FailureBudget(4))
        let env = StreamEnvironment(parallelism: 1)
        env.checkpointing = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(30))
        env.restartStrategy = .fixedDelay(attempts: 3, delay: .zero)
        let warnings = Warnings()
        env.warningHandler = { warnings.add($0) }
        var options = TwoPhaseCommitOptions()
        options.commitAttempts = 2
        options.commitRetryDelay = .milliseconds(1)
        env.addSource(GeneratorSource(count: 20_000, ratePerSecond: 100_000) { StreamRecord($0) }).sink(sink, options: options)
        let result = try env.execute("files")
        // Retries are scheduled on the clock, so while one transaction waits for its second
        // attempt another checkpoint's commit may fail too: 4 failures end 1 or 2 runs.
        XCTAssertTrue((1...2).contains(result.restarts), "a transaction whose 2 attempts failed failed the job (\(result.restarts) restarts)")
        XCTAssertTrue(warnings.all.contains { $0.contains("the job fails so that a restart commits it") }, "\(warnings.all)")
        XCTAssertEqual(try committedRows(in: output).sorted(), Array(0..<20_000), "nothing dropped, nothing twice")
    }

    func testTransactionOlderThanTheTimeoutIsReportedOrFailsTheJob() throws {
        for fail in [false, true] {
            try? FileManager.default.removeItem(atPath: root)
            var options = TwoPhaseCommitOptions()
            options.transactionTimeout = .milliseconds(1)
            options.failOnTransactionTimeout = fail
            let env = StreamEnvironment(parallelism: 1)
            env.checkpointing = CheckpointConfiguration(directory: checkpoints, interval: .milliseconds(50))
            env.restartStrategy = .none
            let warnings = Warnings()
            env.warningHandler = { warnings.add($0) }
            env.addSource(GeneratorSource(count: 5_000, ratePerSecond: 20_000) { StreamRecord($0) })
                .sink(FileSink(directory: output, encoder: .description), name: "Files", options: options)
            if fail {
                XCTAssertThrowsError(try env.execute("files")) { XCTAssertTrue("\($0)".contains("older than the transaction timeout"), "\($0)") }
            } else {
                try env.execute("files")
                XCTAssertTrue(warnings.all.contains { $0.contains("older than the transaction timeout of 1 ms") })
            }
        }
    }
}
