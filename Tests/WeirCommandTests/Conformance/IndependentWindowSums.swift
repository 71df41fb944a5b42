import Foundation
import WeirTestSupport
import WeirKafkaTestSupport

/// The conformance suite's checker. It uses no code of Weir on purpose — not its parsers, its
/// window assigner, its generator or its readers: it computes the expected window sums from the
/// raw input with plain integer arithmetic, reads the committed output as bytes (files),
/// through confluent-kafka (Kafka) or with psql (PostgreSQL), and compares them row by row.
enum IndependentWindowSums {
    /// One result row: a key's sum and count in one tumbling window.
    struct Row: Hashable {
        var key: Int64
        var windowStart: Int64
        var windowEnd: Int64
        var sum: Int64
        var count: Int64
    }

    /// What the comparison found; every number zero means exactly once.
    struct Verdict: CustomStringConvertible {
        var expected = 0
        var committed = 0
        /// Expected (key, window) pairs with no committed row.
        var lost = 0
        /// (key, window) pairs committed more than once.
        var duplicated = 0
        /// Pairs committed once with another sum or count, or not expected at all.
        var wrong = 0
        var examples: [String] = []

        var isExact: Bool { lost == 0 && duplicated == 0 && wrong == 0 }
        var description: String {
            "\(committed) rows committed of \(expected) expected: \(lost) lost, \(duplicated) duplicated, \(wrong) wrong" + (examples.isEmpty ? "" : " (e.g. \(examples.prefix(4).joined(separator: "; ")))")
        }
    }

    /// Sums per (key, window) of `key,timestamp,value` lines; windows start at multiples of `size`.
    static func expected(lines: some Sequence<Substring>, windowMilliseconds size: Int64) -> [Row] {
        var sums: [[Int64]: (Int64, Int64)] = [:]
        for line in lines {
            let fields = line.split(separator: ",")
            guard fields.count == 3, let key = Int64(fields[0]), let time = Int64(fields[1]), let value = Int64(fields[2]) else { continue }
            let start = time - ((time % size) + size) % size
            sums[[key, start], default: (0, 0)].0 += value
            sums[[key, start], default: (0, 0)].1 += 1
        }
        return sums.map { Row(key: $0.key[0], windowStart: $0.key[1], windowEnd: $0.key[1] + size, sum: $0.value.0, count: $0.value.1) }
    }

    /// The lines the reference generator makes from its parameters, computed from its
    /// specification (SplitMix64 seeded with `seed ^ i`: value = first draw mod 100; time =
    /// i·1000/eventsPerSecond minus the second draw mod (disorder + 1), not below 0).
    static func generatorLines(events: Int64, keys: Int64, eventsPerSecond: Int64, disorder: Int64, seed: UInt64) -> [Substring] {
        (0..<events).map { i in
            var state = seed ^ UInt64(bitPattern: i)
            func draw() -> UInt64 {
                state &+= 0x9e37_79b9_7f4a_7c15
                var z = state
                z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
                z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
                return z ^ (z >> 31)
            }
            let value = Int64(draw() % 100)
            var time = i * 1_000 / eventsPerSecond
            if disorder > 0 { time = max(0, time - Int64(draw() % UInt64(disorder + 1))) }
            return Substring("\(i % keys),\(time),\(value)")
        }
    }

    /// Committed rows of a file sink's directory: the regular, non-hidden files directly in it,
    /// `key,windowStart,windowEnd,sum,count` per line.
    static func committedRows(inDirectory directory: String) throws -> [Row] {
        var rows: [Row] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where !name.hasPrefix(".") {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") { rows.append(try row(line)) }
        }
        return rows
    }

    static func row(_ line: Substring) throws -> Row {
        let fields = line.split(separator: ",").map { Int64($0) }
        guard fields.count == 5, fields.allSatisfy({ $0 != nil }) else { throw InjectedFailure(message: "not a result row: \(line)") }
        return Row(key: fields[0]!, windowStart: fields[1]!, windowEnd: fields[2]!, sum: fields[3]!, count: fields[4]!)
    }

    /// Committed rows of a Kafka topic, read read_committed by confluent-kafka (librdkafka).
    static func committedRows(topic: String, partitions: Int, bootstrap: String, python: String) throws -> [Row] {
        var rows: [Row] = []
        for partition in 0..<partitions {
            let printed = try ConfluentPeer.run(python, ["consume", bootstrap, topic, "\(partition)", "100000000", "read_committed"])
            for line in printed.split(separator: "\n") {
                guard let value = try JSONDecoder().decode(ConfluentPeer.Record.self, from: Data(line.utf8)).value else { continue }
                rows.append(try row(Substring(value)))
            }
        }
        return rows
    }

    /// Committed rows of a Kafka topic as `Peers/marker_reader.py` reads them: by the
    /// transaction markers in the log alone (on Tansu, which lists no aborted transactions and
    /// so makes librdkafka deliver aborted records under read_committed).
    static func committedRowsByMarkers(topic: String, partitions: Int, bootstrap: String, python: String) throws -> [Row] {
        try (0..<partitions).flatMap { partition in
            try MarkerReader.values(python: python, bootstrap: bootstrap, topic: topic, partition: partition).compactMap { $0 }.map { try row(Substring($0)) }
        }
    }

    /// Committed rows of a PostgreSQL table, read with `psql` (the server's own client).
    static func committedRows(table: String, url: String) throws -> [Row] {
        try psql(url, "SELECT key, window_start, window_end, sum, count FROM \(table)").split(separator: "\n").map(row)
    }

    /// What `psql` (the server's own client) prints for `sql`: unaligned rows, fields split by commas.
    static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-X", "-q", "-At", "-F", ",", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw InjectedFailure(message: "psql failed at \(url): \(sql)") }
        return String(decoding: printed, as: UTF8.self)
    }

    static func compare(committed: [Row], expected: [Row]) -> Verdict {
        var verdict = Verdict(expected: expected.count, committed: committed.count)
        var byWindow: [[Int64]: [Row]] = [:]
        for row in committed { byWindow[[row.key, row.windowStart], default: []].append(row) }
        var expectedWindows = Set<[Int64]>()
        for row in expected {
            let slot = [row.key, row.windowStart]
            expectedWindows.insert(slot)
            guard let found = byWindow[slot] else {
                verdict.lost += 1
                if verdict.examples.count < 8 { verdict.examples.append("lost \(row)") }
                continue
            }
            if found.count > 1 {
                verdict.duplicated += 1
                if verdict.examples.count < 8 { verdict.examples.append("×\(found.count) key \(row.key) window \(row.windowStart)") }
            } else if found[0] != row {
                verdict.wrong += 1
                if verdict.examples.count < 8 { verdict.examples.append("wrong \(found[0]), expected sum \(row.sum) count \(row.count)") }
            }
        }
        for (slot, rows) in byWindow where !expectedWindows.contains(slot) {
            verdict.wrong += rows.count
            if verdict.examples.count < 8 { verdict.examples.append("unexpected \(rows[0])") }
        }
        return verdict
    }
}
