import Foundation
import Weir
import WeirKafka
import XCTest
import WeirTestSupport
import WeirKafkaTestSupport

/// The code a user copies from the README, docs/ and the doc comments is code that builds and
/// runs: every ```swift block there must be part of one of the programs in Examples/ (which the
/// package builds), and those programs run here on small inputs with their output checked
/// against counts computed by the test itself.
final class DocumentationExamplesTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized

    // MARK: - Every snippet is in an example

    /// A snippet's code lines, trimmed, without blank lines and without `import` lines (those
    /// sit at the top of the example, apart from the code).
    static func codeLines(_ text: some StringProtocol) -> (code: [String], imports: [String]) {
        var code: [String] = [], imports: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("import ") { imports.append(trimmed) } else { code.append(trimmed) }
        }
        return (code, imports)
    }

    /// The ```swift blocks of a Markdown file, or of the `///` doc comments of a Swift file.
    static func snippets(in path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let isSwift = path.hasSuffix(".swift")
        var blocks: [String] = [], current: [String]? = nil
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            if isSwift {
                let trimmed = line.drop(while: { $0 == " " })
                guard trimmed.hasPrefix("///") else { current = nil; continue }
                line = trimmed.dropFirst(3)
                if line.hasPrefix(" ") { line = line.dropFirst() }
            }
            let marker = line.trimmingCharacters(in: .whitespaces)
            if current == nil, marker == "```swift" { current = []; continue }
            if current != nil, marker == "```" { blocks.append(current!.joined(separator: "\n")); current = nil; continue }
            current?.append(String(line))
        }
        return blocks
    }

    func testEverySnippetOfTheDocumentationIsInAnExampleThatBuilds() throws {
        let root = Self.repository.path
        let fileManager = FileManager.default
        var documents = ["README.md"]
        documents += try fileManager.contentsOfDirectory(atPath: root + "/docs").filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        for module in ["Weir", "WeirKafka", "WeirPostgres", "WeirS3", "WeirRocksDB"] {
            let enumerator = fileManager.enumerator(atPath: root + "/Sources/" + module)!
            for case let file as String in enumerator where file.hasSuffix(".swift") || file.hasSuffix(".md") { documents.append("Sources/\(module)/\(file)") }
        }
        var examples: [(path: String, code: [String], imports: [String])] = []
        let enumerator = fileManager.enumerator(atPath: root + "/Examples")!
        for case let file as String in enumerator where file.hasSuffix(".swift") {
            let (code, imports) = Self.codeLines(try String(contentsOfFile: root + "/Examples/" + file, encoding: .utf8))
            examples.append(("Examples/" + file, code, imports))
        }
        XCTAssertGreaterThanOrEqual(examples.count, 5)

        var checked = 0
        for document in documents {
            for snippet in try Self.snippets(in: root + "/" + document) {
                // Package.swift lines for a user's manifest: scripts/package-benchmark.sh builds
                // such a package (Benchmarks/UserJob); they cannot build inside this one.
                if snippet.contains(".package(url:") { continue }
                let (code, imports) = Self.codeLines(snippet)
                guard !code.isEmpty else { continue }
                checked += 1
                let home = examples.first { example in
                    example.code.count >= code.count
                        && (0...(example.code.count - code.count)).contains { Array(example.code[$0..<($0 + code.count)]) == code }
                }
                guard let home else {
                    XCTFail("\(document): the snippet beginning `\(code[0])` is in no program of Examples/ (copy it there verbatim, or change the document to what an example does)")
                    continue
                }
                for missing in imports where !home.imports.contains(missing) {
                    XCTFail("\(document): the snippet beginning `\(code[0])` needs `\(missing)`, which \(home.path) does not import")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 10, "the documentation's snippets were found")
    }

    // MARK: - The examples run

    /// Clicks `user,time` in three files, each in time order (one file per subtask, so that
    /// nothing is late), over five minutes of event time.
    static func writeClicks(into directory: String) throws -> [String: Int] {
        let users = ["ann", "bob", "cid", "dee", "eve"]
        var expected: [String: Int] = [:]  // "user start" → clicks
        try FileManager.default.createDirectory(atPath: directory + "/clicks", withIntermediateDirectories: true)
        for file in 0..<3 {
            var lines: [String] = []
            var random = SplitMix64(seed: UInt64(file + 1))
            var time: Int64 = 0
            for _ in 0..<2_000 {
                time += Int64(random.next() % 300)
                let user = users[Int(random.next() % UInt64(users.count))]
                lines.append("\(user),\(time)")
                expected["\(user) \(time / 60_000 * 60_000)", default: 0] += 1
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(directory)/clicks/part-\(file).csv", atomically: true, encoding: .utf8)
        }
        return expected
    }

    /// "ann [60000, 120000): 17 clicks" lines as counts by "user windowStart".
    static func countsPrinted(_ output: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Int] {
        var counted: [String: Int] = [:]
        for printed in output.split(separator: "\n") {
            let parts = printed.split(separator: " ")
            guard parts.count == 6, parts[5] == "clicks", let clicks = Int(parts[4]) else { XCTFail("unexpected line: \(printed)", file: file, line: line); continue }
            counted["\(parts[1]) \(parts[2].dropFirst().dropLast())"] = clicks
        }
        return counted
    }

    /// Runs an example in `directory`; returns its exit status and standard output.
    static func run(_ example: String, in directory: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let run = try WeirCommandRun(executable: CrashHarness.executable(named: example), [], in: directory, environment: environment,
                                     includingStandardError: false)
        return (run.status, run.output)
    }

    func temporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "weir-example-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return directory
    }

    func testTheReadmesFirstJobCountsEveryClickPerUserAndMinute() throws {
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        let (status, output) = try Self.run("ClicksPerMinute", in: directory)
        XCTAssertEqual(status, 0, output)
        // "3> ann [60000, 120000): 17 clicks"
        var counted: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 6, parts[5] == "clicks", let clicks = Int(parts[4]) else { XCTFail("unexpected line: \(line)"); continue }
            let start = parts[2].dropFirst().dropLast()
            XCTAssertNil(counted["\(parts[1]) \(start)"], "one line per user and minute: \(line)")
            counted["\(parts[1]) \(start)"] = clicks
        }
        XCTAssertEqual(counted, expected)
    }

    func testTheS3ExampleCountsEveryClickWithItsCheckpointsInTheBucket() throws {
        let server = try RcloneS3Server(bucket: "state")
        defer { server.stop() }
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        let (status, output) = try Self.run("ClicksWithCheckpointsInS3", in: directory,
                                            environment: server.credentialsEnvironment.merging(["S3_ENDPOINT": server.endpoint.absoluteString]) { $1 })
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(Self.countsPrinted(output), expected)
        let metadata = CrashHarness.checkpointDirectories(in: server.path(ofKey: "jobs/clicks")).filter { FileManager.default.fileExists(atPath: $0.path + "/_metadata") }
        XCTAssertFalse(metadata.isEmpty, "the final checkpoint is in the bucket under jobs/clicks")
    }

    func testTheRocksDBExampleCountsEveryClickWithItsWindowStateInRocksDB() throws {
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        let (status, output) = try Self.run("ClicksWithStateInRocksDB", in: directory)
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(Self.countsPrinted(output), expected)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/rocksdb"), [], "the subtasks' instances are deleted when the job ends")
        XCTAssertFalse(CrashHarness.checkpointDirectories(in: directory + "/checkpoints").isEmpty, "the job took checkpoints")
    }

    func testTheExactlyOnceExampleWritesEveryCountOnceIntoBothSinks() throws {
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        let (status, output) = try Self.run("ExactlyOnceClicks", in: directory)
        XCTAssertEqual(status, 0, output)
        for prefix in ["part-", "clicks-"] {
            var written: [String: Int] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: directory + "/out") where file.hasPrefix(prefix) {
                for line in try String(contentsOfFile: directory + "/out/" + file, encoding: .utf8).split(separator: "\n") where line != "user,start,clicks" {
                    let fields = line.split(separator: ",")
                    XCTAssertEqual(fields.count, 3, "\(file): \(line)")
                    XCTAssertNil(written["\(fields[0]) \(fields[1])"], "\(prefix) rows: once each: \(line)")
                    written["\(fields[0]) \(fields[1])"] = Int(fields[2])
                }
            }
            XCTAssertEqual(written, expected, "\(prefix)* files")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/state"), "checkpoints were written")
    }

    func testTheAPITourPrintsWhatItsExamplesCompute() throws {
        let directory = try temporaryDirectory()
        let (status, output) = try Self.run("APITour", in: directory)
        XCTAssertEqual(status, 0, output)
        let lines = output.split(separator: "\n").map { $0.split(separator: "> ", maxSplits: 1).last.map(String.init) ?? "" }
        // 10,000 events of 100 keys at 1 ms apart: 10 one-second windows per key, 10 each.
        let windowSums = lines.filter { $0.hasPrefix("Event(") }
        XCTAssertEqual(windowSums.count, 1_000)
        XCTAssertEqual(Set(windowSums).count, 100)
        XCTAssertTrue(windowSums.allSatisfy { $0.hasSuffix("value: 10)") }, "every window holds 10 events")
        // Three "weir" words: each registered a timer; every timer reports the count at the end.
        XCTAssertEqual(lines.filter { $0.contains("=") }.sorted(), ["barrier=1", "stream=1", "weir=3", "weir=3", "weir=3"])
        XCTAssertEqual(lines.filter { $0.contains("readings") }.sorted(), ["north/1: 2 readings, max 21.0", "south/2: 1 readings, max 18.0"])
    }

    func testThePostgresExampleUpsertsEveryCount() throws {
        guard let url = ProcessInfo.processInfo.environment["WEIR_POSTGRES_URL"], !url.isEmpty else {
            if ProcessInfo.processInfo.environment["WEIR_REQUIRE_POSTGRES"] == "1" { XCTFail("WEIR_POSTGRES_URL is not set") }
            throw XCTSkip("WEIR_POSTGRES_URL is not set (scripts/test.sh starts a server)")
        }
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        _ = try IndependentWindowSums.psql(url, "DROP TABLE IF EXISTS click_counts; CREATE TABLE click_counts (user_name text, window_start bigint, clicks bigint, PRIMARY KEY (user_name, window_start))")
        let (status, output) = try Self.run("ClicksIntoPostgres", in: directory, environment: ["DATABASE_URL": url])
        XCTAssertEqual(status, 0, output)
        var stored: [String: Int] = [:]
        for row in try IndependentWindowSums.psql(url, "SELECT user_name, window_start, clicks FROM click_counts").split(separator: "\n") {
            let fields = row.split(separator: ",")
            stored["\(fields[0]) \(fields[1])"] = Int(fields[2])
        }
        XCTAssertEqual(stored, expected)
    }

    func testTheKafkaExampleCountsEveryClickOfTheTopic() async throws {
        let directory = try temporaryDirectory()
        let expected = try Self.writeClicks(into: directory)
        let broker = try KafkaTestBroker.start(.noida)
        defer { broker.stop() }
        let client = KafkaClient(bootstrap: [broker.address])
        // One partition, in time order: the example's watermarks come after the source.
        var lines: [(time: Int64, line: String)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory + "/clicks") {
            for line in try String(contentsOfFile: directory + "/clicks/" + file, encoding: .utf8).split(separator: "\n") {
                lines.append((Int64(line.split(separator: ",")[1])!, String(line)))
            }
        }
        try await client.createTopic("clicks", partitions: 1)
        try await client.fill(topic: "clicks", partitions: 1, with: lines.sorted { $0.time < $1.time }.map(\.line), timestamp: 0)
        await client.close()
        let (status, output) = try Self.run("ClicksFromKafka", in: directory, environment: ["KAFKA_BOOTSTRAP": "\(broker.address.host):\(broker.address.port)"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(Self.countsPrinted(output), expected)
    }
}
