import Foundation
import XCTest
import WeirTestSupport
import WeirKafkaTestSupport

/// The exactly-once conformance matrix (source × sink × parallelism change × fault), each case
/// checked by ``IndependentWindowSums`` against the raw input. CI runs the sample below;
/// `scripts/torture.sh` runs the whole matrix with many more kills (`WEIR_CONFORMANCE_FULL=1`,
/// `WEIR_CONFORMANCE_KILLS`) and writes a table of the results (`WEIR_CONFORMANCE_TABLE`).
final class ExactlyOnceConformanceTests: XCTestCase {
    private var root = ""

    override func setUp() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("weir-conformance-\(UUID().uuidString)").path
    }

    /// Set by a case that did not come out as expected: its directory stays to be read.
    private var keep = false

    override func tearDown() {
        // A failed case keeps its directory (input, checkpoints, output, the runs' log).
        if keep { print("conformance: kept \(root) for diagnosis") } else { try? FileManager.default.removeItem(atPath: root) }
    }

    private var environment: [String: String] { ProcessInfo.processInfo.environment }
    private var kills: Int { environment["WEIR_CONFORMANCE_KILLS"].flatMap(Int.init) ?? 6 }

    /// Runs `testCase`, records its row in the table (if asked) and asserts exactly once —
    /// or, for a fault Weir must refuse, the refusal.
    private func check(_ testCase: ConformanceCase, expectRefusal: Bool = false, seed: UInt64 = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        var broker: KafkaTestBroker?
        if testCase.deployment == .workers {
            // Workers need a coordinator that expires a dead member's session: Tansu (docs/KAFKA.md).
            broker = try KafkaTestBroker.start(.tansu, file: file, line: line)
        } else if testCase.source == .kafka || testCase.sink == .kafka {
            broker = try KafkaTestBroker.noida(file: file, line: line)
        }
        if testCase.sink == .postgres { _ = try PostgresTestServer.url() }
        let s3 = testCase.checkpoints == .s3 || testCase.sink == .s3 ? try RcloneS3Server() : nil
        defer { broker?.stop(); s3?.stop() }
        keep = true
        let outcome = try ConformanceHarness(root: root).run(testCase, broker: broker, s3: s3, seed: seed)
        let failuresBefore = testRun?.failureCount ?? 0
        defer { keep = (testRun?.failureCount ?? 0) > failuresBefore }
        let result: String
        if expectRefusal {
            let refusal = try XCTUnwrap(outcome.refusal, "\(testCase): the resume must stop with an error, not restore an older checkpoint", file: file, line: line)
            XCTAssertTrue(refusal.contains("not usable") && refusal.contains("--accept-duplicates"), "\(testCase): \(refusal.suffix(600))", file: file, line: line)
            result = "refused: names the checkpoint, the sink and --accept-duplicates"
        } else {
            XCTAssertNil(outcome.refusal.map { String($0.suffix(800)) }, "\(testCase): the resume failed", file: file, line: line)
            let verdict = try XCTUnwrap(outcome.verdict, file: file, line: line)
            if case .damagedLatestCheckpointAcceptingDuplicates = testCase.fault {
                // Duplicates were accepted; nothing may be lost or wrong, and the resume must finish.
                XCTAssertTrue(verdict.lost == 0 && verdict.wrong == 0, "\(testCase): \(verdict)", file: file, line: line)
            } else {
                XCTAssertTrue(verdict.isExact, "\(testCase): \(verdict); runs' log: \(root)/runs.log", file: file, line: line)
            }
            XCTAssertGreaterThan(verdict.expected, 0, file: file, line: line)
            result = "\(verdict.lost) | \(verdict.duplicated) | \(verdict.wrong)"
            if case .everyCommitStep = testCase.fault {
                XCTAssertEqual(outcome.crashes, 5, "\(testCase): the job crashed at each of the four steps and while restoring", file: file, line: line)
            }
            if case .serverRestarts(let outages, _) = testCase.fault {
                XCTAssertEqual(outcome.serverRestarts, outages, "\(testCase): every outage came while the job ran (else the input is too short)", file: file, line: line)
            }
        }
        if case .workerPauses(let pauses) = testCase.fault {
            XCTAssertEqual(outcome.pauses, pauses, "\(testCase): every pause came while tasks ran", file: file, line: line)
            // Whether the broker expels a paused member is its part (Tansu does not always): said, not asserted.
            print("conformance: \(testCase): \(outcome.zombies) of \(outcome.pauses) pauses made zombies (the others rebalanced without the paused worker)")
        }
        if let table = environment["WEIR_CONFORMANCE_TABLE"] {
            let workers = testCase.deployment == .workers ? " workers" : ""
            let zombies = testCase.deployment == .workers && outcome.pauses > 0 ? " (\(outcome.zombies) zombies)" : ""
            let row = "| \(testCase.source.rawValue) | \(testCase.sink.rawValue)\(testCase.checkpoints == .s3 ? " (checkpoints on S3)" : "") | \(testCase.parallelism.map(String.init).joined(separator: "→"))\(workers)\(testCase.stateBackend.isRocksDB ? ", \(testCase.stateBackend.label)" : "") | \(testCase.fault)\(zombies) | \(outcome.kills + outcome.crashes) | \(outcome.serverRestarts) | \(outcome.verdict?.expected ?? 0) | \(result) |\n"
            if let handle = FileHandle(forWritingAtPath: table) {
                handle.seekToEndOfFile()
                handle.write(Data(row.utf8))
                try handle.close()
            } else {
                try row.write(toFile: table, atomically: true, encoding: .utf8)
            }
        }
    }

    // MARK: - The issue's observations, as cases

    /// Files that follow each other in time, more files than subtasks, killed and resumed: a
    /// restore that dealt the files anew once made a subtask read a late file after an early
    /// one (4 million events dropped as late, wrong sums committed).
    func testFilesIntoFilesUnderRandomKills() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2], fault: .randomKills(kills)))
    }

    func testFilesIntoFilesRescaledAtEveryRestore() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2, 1, 3], fault: .randomKills(kills)))
    }

    /// A damaged latest checkpoint with a Kafka sink once made Weir restore the older one and
    /// commit its results a second time: now the resume stops and says what to do.
    func testDamagedLatestCheckpointWithKafkaSinkIsRefused() throws {
        try check(ConformanceCase(source: .generator, sink: .kafka, parallelism: [2], fault: .damagedLatestCheckpoint), expectRefusal: true)
    }

    /// The file sink replaces what a replay commits again: an older checkpoint is restored and
    /// the output stays exact.
    func testDamagedLatestCheckpointWithFileSinkStaysExact() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2], fault: .damagedLatestCheckpoint))
    }

    /// A run's data directory moved elsewhere between a crash and the resume: checkpoints name
    /// the sink's files relative to the run's directories (absolute paths once made the resume
    /// fail with "transaction lost").
    func testRunMovedToAnotherDirectoryResumesExactly() throws {
        let testCase = ConformanceCase(source: .files, sink: .files, parallelism: [2], fault: .randomKills(0))
        let harness = ConformanceHarness(root: root)
        try FileManager.default.createDirectory(atPath: root + "/input", withIntermediateDirectories: true)
        let parts = harness.inputParts(testCase)
        for (index, lines) in parts.enumerated() {
            try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/input/events-\(index).csv", atomically: true, encoding: .utf8)
        }
        let first = try BackgroundRun(ConformanceHarness.weir, ["run", "--data-dir", root + "/old", "--source", "files", "--input", root + "/input",
                                                                "--parallelism", "2", "--checkpoint-interval", "100", "--show", "0"], log: nil)
        first.waitForCheckpoint(in: root + "/old/checkpoints", above: 4)
        XCTAssertTrue(first.isRunning, "killed mid-run")
        first.kill()
        try FileManager.default.moveItem(atPath: root + "/old", toPath: root + "/moved")
        let resumed = try WeirCommandRun(executable: ConformanceHarness.weir, ["run", "--data-dir", root + "/moved", "--resume", "--parallelism", "2", "--show", "0"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let verdict = IndependentWindowSums.compare(committed: try IndependentWindowSums.committedRows(inDirectory: root + "/moved/output"),
                                                    expected: IndependentWindowSums.expected(lines: parts.joined().map { Substring($0) }, windowMilliseconds: 1_000))
        XCTAssertTrue(verdict.isExact, "\(verdict)")
        let verify = try WeirCommandRun(["verify", "--data-dir", root + "/moved"])
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(verify.output.contains("exactly-once: OK"), "weir verify checks file-fed runs: \(verify.output)")
    }

    // MARK: - A sample of the rest of the matrix

    /// Window state in RocksDB (`--state-backend rocksdb`): killed at random and rescaled at
    /// every restore, so that key groups move between instances through incremental checkpoints
    /// (each restore copies its key groups out of RocksDB files other instances wrote).
    func testFilesIntoFilesRescaledUnderRandomKillsWithStateInRocksDB() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2, 1, 3], fault: .randomKills(kills), stateBackend: .rocksdb))
    }

    func testKafkaIntoKafkaAtEveryCommitStepWithStateInRocksDB() throws {
        try check(ConformanceCase(source: .kafka, sink: .kafka, parallelism: [2], fault: .everyCommitStep, stateBackend: .rocksdb))
    }

    /// An SST file only the latest incremental checkpoint references is damaged: the file sink
    /// replaces replayed results, so the restore falls back to the checkpoint before, at
    /// another parallelism, and stays exact.
    func testFilesIntoFilesWithADamagedSSTOfTheLatestCheckpointWithStateInRocksDB() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2, 3], fault: .damagedLatestCheckpoint, stateBackend: .rocksdb))
    }

    func testGeneratorIntoFilesAtEveryCommitStep() throws {
        try check(ConformanceCase(source: .generator, sink: .files, parallelism: [2, 1], fault: .everyCommitStep))
    }

    func testKafkaIntoKafkaUnderRandomKillsRescaled() throws {
        try check(ConformanceCase(source: .kafka, sink: .kafka, parallelism: [2, 1], fault: .randomKills(kills), events: 200_000))
    }

    func testFilesIntoKafkaAtEveryCommitStep() throws {
        try check(ConformanceCase(source: .files, sink: .kafka, parallelism: [2], fault: .everyCommitStep, events: 200_000))
    }

    // The Kafka cases with their checkpoints in S3 (rclone serve s3): the same verdicts.

    func testKafkaIntoKafkaUnderRandomKillsRescaledWithCheckpointsOnS3() throws {
        try check(ConformanceCase(source: .kafka, sink: .kafka, parallelism: [2, 1], fault: .randomKills(kills), events: 200_000, checkpoints: .s3))
    }

    func testFilesIntoKafkaAtEveryCommitStepWithCheckpointsOnS3() throws {
        try check(ConformanceCase(source: .files, sink: .kafka, parallelism: [2], fault: .everyCommitStep, events: 200_000, checkpoints: .s3))
    }

    /// The S3 file sink: a multipart upload per checkpoint, completed when it completes.
    func testGeneratorIntoS3AtEveryCommitStepRescaled() throws {
        try check(ConformanceCase(source: .generator, sink: .s3, parallelism: [2, 1], fault: .everyCommitStep))
    }

    func testFilesIntoS3UnderRandomKillsWithCheckpointsOnS3() throws {
        try check(ConformanceCase(source: .files, sink: .s3, parallelism: [2, 1, 3], fault: .randomKills(kills), checkpoints: .s3))
    }

    /// The S3 sink replaces replayed output (objects named by subtask and checkpoint): an older
    /// checkpoint is restored, and the output stays exact.
    func testDamagedLatestCheckpointWithS3SinkRestoresTheOlderOneExactly() throws {
        try check(ConformanceCase(source: .files, sink: .s3, parallelism: [2], fault: .damagedLatestCheckpoint))
    }

    func testDamagedLatestCheckpointOnS3WithKafkaSinkIsRefused() throws {
        try check(ConformanceCase(source: .generator, sink: .kafka, parallelism: [2], fault: .damagedLatestCheckpoint, checkpoints: .s3), expectRefusal: true)
    }

    /// With the PostgreSQL sink in append mode a damaged latest checkpoint is refused too; with
    /// `--accept-duplicates` the resume once failed for good with a false "transaction lost"
    /// (the sink forgot its commit records assuming only the newest checkpoint is restorable).
    func testDamagedLatestCheckpointWithPostgresSinkIsRefused() throws {
        try check(ConformanceCase(source: .files, sink: .postgres, parallelism: [2], fault: .damagedLatestCheckpoint, events: 200_000), expectRefusal: true)
    }

    func testDamagedLatestCheckpointWithPostgresSinkAcceptingDuplicatesFinishesWithoutLoss() throws {
        try check(ConformanceCase(source: .files, sink: .postgres, parallelism: [2], fault: .damagedLatestCheckpointAcceptingDuplicates, events: 200_000))
    }

    func testFilesIntoPostgresUnderRandomKillsRescaled() throws {
        try check(ConformanceCase(source: .files, sink: .postgres, parallelism: [2, 1, 3], fault: .randomKills(kills), events: 200_000))
    }

    /// Observation 3: a lost broker connection once ended `weir run` for good ("the connection
    /// to Kafka broker … closed before the Fetch response came"; the command set no restart
    /// strategy). Down for 30 s — longer than the consumer's own retries — the broker now only
    /// delays the job, which restarts from its checkpoint until the broker is back. (A build of
    /// ff88a67 rides out this outage too, and 90 s of it: its consumer's retries held out, so
    /// this case does not reproduce the observation's exact failure; docs/CONFORMANCE.md.)
    func testKafkaIntoFilesRidesOutABrokerOutageLongerThanTheClientsRetries() throws {
        try check(ConformanceCase(source: .kafka, sink: .files, parallelism: [2], fault: .serverRestarts(1, outageSeconds: 30), events: 1_000_000))
    }

    func testFilesIntoPostgresRidesOutDatabaseRestarts() throws {
        try check(ConformanceCase(source: .files, sink: .postgres, parallelism: [2], fault: .serverRestarts(2), events: 2_000_000))
    }

    func testFilesIntoFilesRidesOutAFullDisk() throws {
        try check(ConformanceCase(source: .files, sink: .files, parallelism: [2], fault: .diskFullThenFreed))
    }

    // Workers (`weir worker`, one consumer group, the job's repartition hop between its tasks).

    /// A worker killed (its tasks move after the session timeout), none added, then two added.
    func testKafkaIntoKafkaAcrossWorkersUnderKillsRescaledWithCheckpointsOnS3() throws {
        try check(ConformanceCase(source: .kafka, sink: .kafka, parallelism: [3, 2, 4], fault: .randomKills(2), events: 200_000, checkpoints: .s3, deployment: .workers))
    }

    /// A worker paused past its session timeout and woken: a zombie, fenced by the tasks'
    /// producer epochs and the storage's run claims.
    func testKafkaIntoKafkaAcrossWorkersWithAZombie() throws {
        try check(ConformanceCase(source: .kafka, sink: .kafka, parallelism: [3], fault: .workerPauses(1), events: 200_000, deployment: .workers))
    }

    // MARK: - The whole matrix (scripts/torture.sh)

    /// The worker rows: kills and pauses, the count kept or changed, checkpoints in a shared
    /// directory or on S3.
    func testWholeMatrixOfWorkers() throws {
        guard environment["WEIR_CONFORMANCE_FULL"] == "1" else { throw XCTSkip("the whole matrix runs in scripts/torture.sh (WEIR_CONFORMANCE_FULL=1)") }
        var seed: UInt64 = 500
        // A fault costs a session timeout and a rebalance: an eighth of the kills per case.
        let faults = max(2, kills / 8)
        for place in [ConformanceCase.Checkpoints.directory, .s3] {
            for parallelism in [[3], [3, 2, 4]] {
                for fault in [ConformanceCase.Fault.randomKills(faults), .workerPauses(max(1, faults / 3))] {
                    seed += 1
                    let testCase = ConformanceCase(source: .kafka, sink: .kafka, parallelism: parallelism, fault: fault, events: 200_000, checkpoints: place, deployment: .workers)
                    do { try check(testCase, seed: seed) } catch {
                        XCTFail("\(testCase): \(error)")
                        recordFailedRow(testCase, error)
                    }
                }
            }
        }
    }

    private func recordFailedRow(_ testCase: ConformanceCase, _ error: any Error) {
        guard let table = environment["WEIR_CONFORMANCE_TABLE"], let handle = FileHandle(forWritingAtPath: table) else { return }
        handle.seekToEndOfFile()
        let workers = testCase.deployment == .workers ? " workers" : ""
        handle.write(Data("| \(testCase.source.rawValue) | \(testCase.sink.rawValue)\(testCase.checkpoints == .s3 ? " (checkpoints on S3)" : "") | \(testCase.parallelism.map(String.init).joined(separator: "→"))\(workers)\(testCase.stateBackend.isRocksDB ? ", \(testCase.stateBackend.label)" : "") | \(testCase.fault) | 0 | 0 | 0 | FAILED: \(String(describing: error).prefix(200).replacingOccurrences(of: "\n", with: " ")) |\n".utf8))
        try? handle.close()
    }

    func testWholeMatrix() throws {
        guard environment["WEIR_CONFORMANCE_FULL"] == "1" else { throw XCTSkip("the whole matrix runs in scripts/torture.sh (WEIR_CONFORMANCE_FULL=1)") }
        // scripts/torture.sh KILLS rocksdb: only the rows with the state in RocksDB.
        let onlyRocksDB = environment["WEIR_CONFORMANCE_STATE"] == "rocksdb"
        var seed: UInt64 = 100
        for source in [ConformanceCase.Source.generator, .files, .kafka] {
            for sink in [ConformanceCase.Sink.files, .kafka, .postgres, .s3] {
                for parallelism in [[2], [2, 1, 3]] {
                    // A Kafka-fed run starts slower (metadata, end offsets): a quarter of the kills there.
                    let caseKills = source == .kafka ? max(1, kills / 4) : kills
                    for fault in [ConformanceCase.Fault.randomKills(caseKills), .everyCommitStep, .damagedLatestCheckpoint, .damagedLatestCheckpointAcceptingDuplicates,
                                  .serverRestarts(3), .diskFullThenFreed] {
                        // One run at one parallelism for the faults that do not restore by kill.
                        switch fault {
                        case .randomKills, .everyCommitStep: break
                        default: if parallelism.count > 1 { continue }
                        }
                        // A server restart needs a server; accepting duplicates matters only for sinks that would duplicate.
                        if case .serverRestarts = fault, source != .kafka && sink == .files { continue }
                        // noida-db forgets a transaction that is open when it restarts: the commit
                        // succeeds and the records stay invisible — shown with confluent-kafka alone
                        // (docs/KAFKA.md). A broker outage under the Kafka sink is not testable on it.
                        if case .serverRestarts = fault, sink == .kafka { continue }
                        if case .damagedLatestCheckpointAcceptingDuplicates = fault, sink == .files || sink == .s3 { continue }
                        // The S3 server is not restarted (rclone keeps multipart uploads in memory), and its
                        // objects are not on the data directory's file system.
                        if case .serverRestarts = fault, sink == .s3, source != .kafka { continue }
                        if case .diskFullThenFreed = fault, sink == .s3 { continue }
                        seed += 1
                        // Enough input to outlast the kills (a killed run gets through some 50,000 events).
                        let events: Int
                        switch fault {
                        case .randomKills: events = max(400_000, caseKills * 50_000)
                        case .serverRestarts: events = 3_000_000  // outlasts three 8 s outages
                        default: events = 400_000
                        }
                        let refusal: Bool
                        if case .damagedLatestCheckpoint = fault { refusal = sink != .files && sink != .s3 } else { refusal = false }
                        // The Kafka cases once more with their checkpoints on S3 (not the server
                        // outages or a full disk: those faults are of the Kafka broker or the data directory).
                        var places: [ConformanceCase.Checkpoints] = [.directory]
                        switch fault {
                        case .randomKills, .everyCommitStep, .damagedLatestCheckpoint, .damagedLatestCheckpointAcceptingDuplicates:
                            if source == .kafka || sink == .kafka || sink == .s3 { places.append(.s3) }
                        default: break
                        }
                        // Kills and a damaged checkpoint once more with the window state in
                        // RocksDB, incremental checkpoints (a damaged one: one of its SST files),
                        // and rescaling kills with its full checkpoints (the faults of servers and
                        // disks are not the state backend's).
                        var backends: [ConformanceCase.StateBackend] = [.heap]
                        switch fault {
                        case .randomKills: backends += parallelism.count > 1 ? [.rocksdb, .rocksdbFull] : [.rocksdb]
                        case .everyCommitStep, .damagedLatestCheckpoint: backends.append(.rocksdb)
                        default: break
                        }
                        for place in places {
                            for backend in backends where (backend == .heap || place == .directory) && (!onlyRocksDB || backend.isRocksDB) {
                                let testCase = ConformanceCase(source: source, sink: sink, parallelism: parallelism, fault: fault, events: events, checkpoints: place,
                                                               stateBackend: backend)
                                // One case that cannot even run (a run that exits non-zero) is a failed row, not the end of the matrix.
                                do { try check(testCase, expectRefusal: refusal, seed: seed) } catch {
                                    XCTFail("\(testCase): \(error)")
                                    recordFailedRow(testCase, error)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
