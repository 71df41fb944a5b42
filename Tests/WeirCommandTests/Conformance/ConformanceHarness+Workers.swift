import Foundation
import Glibc
import Weir
import WeirTestSupport
import WeirKafkaTestSupport

extension ConformanceHarness {
    /// A case of `weir worker` processes in one consumer group running the reference job with
    /// its repartition hop (read tasks → `conformance-repartition` → window tasks →
    /// `conformance-out`): faults land on random workers that still have tasks running, the
    /// number of live workers follows `parallelism` after each fault (new workers join, extra
    /// ones stop with SIGTERM and leave), and the window sums are read by their transaction
    /// markers (`Peers/marker_reader.py`), not by Weir's reader.
    func runWorkers(_ testCase: ConformanceCase, broker: KafkaTestBroker?, s3: RcloneS3Server?, seed: UInt64) throws -> Outcome {
        guard testCase.source == .kafka, testCase.sink == .kafka else {
            throw InjectedFailure(message: "workers read and write Kafka: \(testCase) has no worker deployment")
        }
        guard let broker else { throw InjectedFailure(message: "a worker case needs a broker") }
        let faults: Int
        switch testCase.fault {
        case .randomKills(let kills): faults = kills
        case .workerPauses(let pauses): faults = pauses
        default: throw InjectedFailure(message: "\(testCase.fault) is not a fault of workers (random kills or pauses)")
        }
        let bootstrap = "\(broker.address.host):\(broker.address.port)"
        let parts = inputParts(testCase)
        try Self.fill(broker: broker, topic: "conformance-in", parts: parts)
        let expected = IndependentWindowSums.expected(lines: parts.joined().map { Substring($0) }, windowMilliseconds: 1_000)

        // Each read task is throttled so that its partition lasts well past the faults: a fault
        // costs about a session timeout (6 s) and a rebalance before the next one.
        let perTask = Double(testCase.events / parts.count)
        let rate = max(50, perTask / Double(20 + 14 * faults))
        var arguments = ["--kafka-bootstrap", bootstrap, "--group", "conformance", "--input-topic", "conformance-in", "--output-topic", "conformance-out",
                         "--checkpoint-interval", "200", "--session-timeout", "6000", "--disorder", "\(disorder)", "--rate", String(format: "%.0f", rate),
                         "--progress", "10"]
        var environment: [String: String] = [:]
        switch testCase.checkpoints {
        case .directory:
            // One machine: a directory all the workers see is shared storage too.
            arguments += ["--checkpoint-dir", root + "/checkpoints"]
        case .s3:
            guard let s3 else { throw InjectedFailure(message: "a case with checkpoints on S3 needs an S3 server") }
            arguments += ["--checkpoint-dir", "s3://\(s3.bucket)/conformance-workers", "--s3-endpoint", s3.endpoint.absoluteString]
            environment = s3.credentialsEnvironment
        }

        var all: [WorkerProcess] = []
        var live: [WorkerProcess] = []
        defer { for worker in all { worker.end(SIGKILL) } }
        func startWorker() throws {
            let worker = try WorkerProcess(arguments, log: root + "/worker-\(all.count + 1).log", environment: environment)
            all.append(worker)
            live.append(worker)
        }
        func logs() -> String {
            all.enumerated().map { "--- worker \($0.offset + 1)\n" + $0.element.output.split(separator: "\n").suffix(25).joined(separator: "\n") }.joined(separator: "\n")
        }
        func waitFor(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while try !condition() {
                if let failed = all.first(where: { !$0.process.isRunning && $0.process.terminationStatus != 0 && $0.process.terminationReason == .exit }) {
                    throw InjectedFailure(message: "a worker failed (exit \(failed.process.terminationStatus)) while waiting for \(what):\n\(logs())")
                }
                guard Date() < deadline else { throw InjectedFailure(message: "timed out waiting for \(what)\n\(logs())") }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        for _ in 0..<testCase.parallelism[0] { try startWorker() }
        try waitFor("the first workers' tasks", timeout: 90) { live.allSatisfy { $0.output.contains("generation ") } }

        var outcome = Outcome()
        var random = SplitMix64(seed: seed)
        for index in 0..<faults {
            Thread.sleep(forTimeInterval: 1 + Double(random.next() % 3_000) / 1_000)
            // Only a worker whose tasks still run: a fault on one whose tasks ended tests nothing.
            let candidates = live.filter { !Self.runningTasks(in: $0.output).isEmpty }
            guard !candidates.isEmpty else {
                throw InjectedFailure(message: "the input ended after \(index) of \(faults) faults (the case proves less than it says): make it longer\n\(logs())")
            }
            let victim = candidates[Int(random.next() % UInt64(candidates.count))]
            let others = live.filter { $0 !== victim }
            let marks = others.map { $0.output.utf8.count }
            func othersRebalanced() -> Bool {
                zip(others, marks).allSatisfy { String(decoding: $0.output.utf8.dropFirst($1), as: UTF8.self).contains("generation ") }
            }
            switch testCase.fault {
            case .workerPauses:
                kill(victim.pid, SIGSTOP)
                outcome.pauses += 1
                // It stays stopped until the others have taken its tasks (only then is it a
                // zombie); Tansu does not always expel a paused member, so after 50 s it is
                // woken anyway and the row says how many pauses made zombies.
                let deadline = Date().addingTimeInterval(50)
                while !othersRebalanced(), Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
                if othersRebalanced() { outcome.zombies += 1 }
                kill(victim.pid, SIGCONT)
            default:
                kill(victim.pid, SIGKILL)
                victim.process.waitUntilExit()
                live.removeAll { $0 === victim }
                outcome.kills += 1
            }
            // The next number of live workers: new ones join, extra ones stop and leave.
            let target = testCase.parallelism[(index + 1) % testCase.parallelism.count]
            while live.count < target { try startWorker() }
            while live.count > target {
                let leaving = live.removeLast()
                leaving.end()
                guard leaving.process.terminationStatus == 0 else {
                    throw InjectedFailure(message: "a worker told to stop did not leave cleanly (status \(leaving.process.terminationStatus)):\n\(logs())")
                }
            }
            // Settled: the workers that saw the fault have a new generation (after a kill, once
            // the session timeout expelled the dead one), and the new ones their first.
            try waitFor("a generation after fault \(index + 1)", timeout: 90) {
                othersRebalanced() && live.allSatisfy { $0.output.contains("generation ") }
            }
        }

        // The input ends at the partitions' ends: wait until every expected row is committed,
        // then for a quiet moment in which nothing more comes.
        let python = try ConfluentPeer.python()
        let partitions = parts.count
        var committed: [IndependentWindowSums.Row] = []
        let deadline = Date().addingTimeInterval(300)
        while committed.count < expected.count, Date() < deadline {
            Thread.sleep(forTimeInterval: 2)
            committed = (try? IndependentWindowSums.committedRowsByMarkers(topic: "conformance-out", partitions: partitions, bootstrap: bootstrap, python: python)) ?? committed
        }
        Thread.sleep(forTimeInterval: 3)
        committed = try IndependentWindowSums.committedRowsByMarkers(topic: "conformance-out", partitions: partitions, bootstrap: bootstrap, python: python)
        outcome.verdict = IndependentWindowSums.compare(committed: committed, expected: expected)
        outcome.runs = all.count

        // Every live worker leaves cleanly; the logs stay in runs.log for a failed case.
        for worker in live { worker.end() }
        try logs().write(toFile: root + "/runs.log", atomically: true, encoding: .utf8)
        for worker in live where worker.process.terminationStatus != 0 || !worker.output.contains("left group conformance") {
            throw InjectedFailure(message: "a worker did not leave cleanly (status \(worker.process.terminationStatus)):\n\(logs())")
        }
        return outcome
    }

    /// The tasks of a worker's latest generation (its log's last "generation …" line) that have
    /// not ended since.
    static func runningTasks(in log: String) -> [String] {
        let lines = log.split(separator: "\n")
        guard let last = lines.lastIndex(where: { $0.contains("generation ") && $0.contains(" of group ") }) else { return [] }
        guard let range = lines[last].range(of: ": tasks ") else { return [] }
        let tasks = lines[last][range.upperBound...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let ended = Set(lines[(last + 1)...].compactMap { line -> String? in
            guard let start = line.range(of: "task "), let end = line.range(of: " ended (") else { return nil }
            return String(line[start.upperBound..<end.lowerBound])
        })
        return tasks.filter { !ended.contains($0) }
    }
}
