import XCTest
@testable import Weir

final class LineFileSourceTests: XCTestCase {
    func testReadsAllLinesOfAllFilesInParallel() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-lines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var expected: [String] = []
        for file in 0..<5 {
            var text = ""
            for line in 0..<10_000 {
                let content = "file\(file) line\(line) ünïcode"
                expected.append(content)
                text += content + (line % 3 == 0 ? "\r\n" : "\n")
            }
            if file == 2 { text.removeLast() }  // no terminator after the last line
            try text.write(to: directory.appendingPathComponent("part-\(file).txt"), atomically: true, encoding: .utf8)
        }
        try "".write(to: directory.appendingPathComponent("empty.txt"), atomically: true, encoding: .utf8)
        try "hidden".write(to: directory.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)

        let env = StreamEnvironment(parallelism: 3)
        let sink = CollectSink<String>()
        env.addSource(try LineFileSource(directory: directory.path)).sink(sink)
        try env.execute()
        XCTAssertEqual(sink.values.sorted(), expected.sorted())
    }

    func testUnreadableFileNamesThePath() {
        let env = StreamEnvironment(parallelism: 1)
        env.addSource(LineFileSource(paths: ["/nonexistent/weir/input.txt"]), name: "Files").sink(DiscardingSink())
        XCTAssertThrowsError(try env.execute()) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/weir/input.txt"), "\(error)")
            XCTAssertEqual((error as? OperatorFailure)?.location.operatorName, "Files")
        }
        XCTAssertThrowsError(try LineFileSource(directory: "/nonexistent/weir")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/weir"), "\(error)")
        }
    }

    func testGeneratorOutputDoesNotDependOnParallelism() throws {
        var outputs: [[Int64]] = []
        for parallelism in [1, 2, 5] {
            let env = StreamEnvironment(parallelism: parallelism)
            let sink = CollectSink<Int64>()
            env.addSource(GeneratorSource(count: 10_001) { index in
                var random = SplitMix64(seed: UInt64(index))
                return StreamRecord(Int64(random.next() % 1_000_000))
            }).sink(sink)
            try env.execute()
            outputs.append(sink.values.sorted())
        }
        XCTAssertEqual(outputs[0].count, 10_001)
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }

    func testRateLimitedGeneratorKeepsItsRate() throws {
        let env = StreamEnvironment(parallelism: 2)
        env.addSource(GeneratorSource(count: 400, ratePerSecond: 1_000) { StreamRecord($0) }).sink(DiscardingSink())
        let result = try env.execute()
        XCTAssertGreaterThan(result.durationSeconds, 0.3, "400 records at 1,000/s take about 0.4 s")
    }
}
