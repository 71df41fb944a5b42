import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import Weir
import WeirKafka
import WeirTestSupport
import WeirKafkaTestSupport

/// `weir group` on noida-db, whose DescribeGroups reports the members' assignments (Tansu's
/// does not): two workers share the twelve tasks of the job with its repartition hop (six read
/// tasks, six window tasks), and the view names each task's worker, its lag at
/// its latest checkpoint (not at positions a stale owner committed) and that checkpoint.
final class WorkerGroupViewTests: XCTestCase {
    private var data = ""

    override func setUpWithError() throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("weir-group-view-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func testTheGroupViewShowsEachTasksWorkerLagAndLatestCheckpoint() throws {
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let produced = try WeirCommandRun(["produce", "--kafka-bootstrap", bootstrap, "--topic", "clicks", "--partitions", "6",
                                           "--events", "12000", "--keys", "100"])
        XCTAssertEqual(produced.status, 0, produced.output)
        // --follow: the tasks keep running after they caught up, so the group stays as it is.
        let arguments = ["--kafka-bootstrap", bootstrap, "--group", "view-job", "--input-topic", "clicks", "--output-topic", "sums",
                         "--checkpoint-dir", data + "/checkpoints", "--checkpoint-interval", "200", "--follow"]
        // The first serves its metrics, labelled by task.
        let workers = try (1...2).map { try WorkerProcess(arguments + ($0 == 1 ? ["--metrics-port", "0"] : []), log: data + "/worker-\($0).log", environment: [:]) }
        defer { for worker in workers { worker.end(SIGKILL) } }

        // Until both workers run a share of one generation and every task caught up.
        var shown = WeirCommandRun(status: -1, output: "")
        var rows: [[String]] = []
        let deadline = Date().addingTimeInterval(90)
        repeat {
            Thread.sleep(forTimeInterval: 0.5)
            shown = try WeirCommandRun(["group", "--kafka-bootstrap", bootstrap, "--group", "view-job", "--input-topic", "clicks",
                                        "--checkpoint-dir", data + "/checkpoints"])
            rows = shown.output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0.first.map { $0.hasPrefix("clicks-") || $0.hasPrefix("view-job-repartition-") } == true }
        } while Date() < deadline && !(shown.output.contains("Stable, 2 workers") && rows.count == 12 && rows.allSatisfy { $0.count == 4 && $0[1] != "-" && $0[2] == "0" })
        XCTAssertEqual(shown.status, 0, shown.output)
        XCTAssertTrue(shown.output.contains("group view-job: Stable, 2 workers (protocol weir-tasks-1)"), shown.output)
        // The read tasks (one per input partition), then the window tasks (one per partition of the repartition topic).
        XCTAssertEqual(rows.map { $0[0] }, (0..<6).map { "clicks-\($0)" } + (0..<6).map { "view-job-repartition-\($0)" }, shown.output)
        let owners = Dictionary(grouping: rows, by: { $0[1] }).mapValues(\.count)
        XCTAssertEqual(owners.count, 2, "two workers own tasks: \(shown.output)")
        XCTAssertEqual(owners.values.sorted(), [6, 6], "six tasks each: \(shown.output)")
        for row in rows where row.count == 4 {
            XCTAssertEqual(row[2], "0", "caught up: \(shown.output)")
            XCTAssertTrue(row[3].first?.isNumber == true, "a latest checkpoint: \(shown.output)")
        }
        // Each worker's own log names the tasks the view gives it.
        for worker in workers {
            let line = worker.output.split(separator: "\n").last { $0.contains("tasks clicks-") }.map(String.init) ?? ""
            let logged = Set(line.components(separatedBy: "tasks ").last?.components(separatedBy: ", ") ?? [])
            XCTAssertTrue(owners.keys.contains { owner in Set(rows.filter { $0[1] == owner }.map { $0[0] }) == logged }, "\(line)\n\(shown.output)")
        }
        try checkMetricsPerTask(of: workers[0])
        for worker in workers {
            worker.end()
            XCTAssertEqual(worker.process.terminationStatus, 0, worker.output)
        }
        try checkLagComesFromTheCheckpointNotAStaleCommit(bootstrap: bootstrap, broker: broker.address)
    }

    /// A stale owner (a worker paused between a checkpoint's completion and its commit of the
    /// positions, woken after the partition's new owner read it to its end) commits older
    /// positions for monitoring: the lag `weir group` shows comes from the task's latest
    /// checkpoint and stays 0; only without --checkpoint-dir does it show the committed one.
    private func checkLagComesFromTheCheckpointNotAStaleCommit(bootstrap: String, broker: BrokerAddress) throws {
        try awaitOnTaskThread {
            let client = KafkaClient(bootstrap: [broker])
            do {
                try await client.commitOffsets([.init(topic: "clicks", partition: 0, offset: 0, metadata: "weir checkpoint 1")], groupID: WorkerGroupStatus.positionsGroup(of: "view-job"))
            } catch {
                await client.close()
                throw error
            }
            await client.close()
        }
        func lagOfTheFirstTask(_ extra: [String]) throws -> String {
            let shown = try WeirCommandRun(["group", "--kafka-bootstrap", bootstrap, "--group", "view-job", "--input-topic", "clicks"] + extra)
            XCTAssertEqual(shown.status, 0, shown.output)
            let row = shown.output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.first { $0.first == "clicks-0" }
            return row.map { $0.count == 4 ? $0[2] : "?" } ?? "no row: \(shown.output)"
        }
        XCTAssertEqual(try lagOfTheFirstTask(["--checkpoint-dir", data + "/checkpoints"]), "0", "the checkpoint's position")
        let committed = try lagOfTheFirstTask([])
        XCTAssertGreaterThan(Int(committed) ?? 0, 0, "the stale commit's: \(committed)")
    }

    /// The worker's /status names its generation and tasks as its log does, and /metrics has
    /// each task's series under its own `task` label.
    private func checkMetricsPerTask(of worker: WorkerProcess) throws {
        let log = worker.output
        let range = try XCTUnwrap(log.range(of: #"metrics: http://127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression), log)
        let port = try XCTUnwrap(Int(log[range].split(separator: ":").last!.split(separator: "/").first!), log)
        func scrape(_ path: String) throws -> String {
            let done = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var body: Data?
            nonisolated(unsafe) var failure: (any Error)?
            URLSession.shared.dataTask(with: URL(string: "http://127.0.0.1:\(port)\(path)")!) { data, _, error in
                body = data
                failure = error
                done.signal()
            }.resume()
            done.wait()
            if let failure { throw failure }
            return String(decoding: body ?? Data(), as: UTF8.self)
        }
        let line = log.split(separator: "\n").last { $0.contains("tasks clicks-") || $0.contains("tasks view-job-") }.map(String.init) ?? ""
        let tasks = Set(line.components(separatedBy: "tasks ").last?.components(separatedBy: ", ") ?? [])
        let generation = try XCTUnwrap(line.range(of: #"generation \d+"#, options: .regularExpression).map { Int(line[$0].dropFirst("generation ".count))! }, line)
        // The status is refreshed every second; the tasks' reports come every second too.
        Thread.sleep(forTimeInterval: 2.5)
        struct Status: Decodable { var generation: Int?; var tasks: [String: TaskStatus]?; struct TaskStatus: Decodable { var state: String; var checkpoints: [Checkpoint]; struct Checkpoint: Decodable { var id: Int } } }
        let status = try JSONDecoder().decode(Status.self, from: Data(try scrape("/status").utf8))
        XCTAssertEqual(status.generation, generation, line)
        XCTAssertEqual(Set(status.tasks?.keys.map { $0 } ?? []), tasks, "\(line)\n\(String(describing: status.tasks))")
        for (name, task) in status.tasks ?? [:] { XCTAssertFalse(task.checkpoints.isEmpty, "\(name) has completed checkpoints") }
        let metrics = try scrape("/metrics")
        XCTAssertTrue(metrics.contains("weir_worker_tasks \(tasks.count)"), metrics)
        for task in tasks {
            XCTAssertTrue(metrics.contains("weir_checkpoints_completed_total{task=\"\(task)\"}"), "\(task):\n\(metrics)")
            XCTAssertTrue(metrics.contains("weir_records_out_total{task=\"\(task)\",operator="), "\(task):\n\(metrics)")
        }
    }
}
