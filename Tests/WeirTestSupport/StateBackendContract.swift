import XCTest
import Weir

/// What every ``StateBackend`` must do, as checks that the heap backend's tests and each other
/// backend's tests run on their own backend: the same job code must give the same state.
package enum StateBackendContract {
    package static let maxParallelism = 128

    package static func store(_ backend: any StateBackend, keyGroups: KeyGroupRange = KeyGroupRange(start: 0, end: 127),
                              restoring: [String: [KeyGroupBlob]] = [:]) throws -> any KeyedStateStore {
        try backend.makeKeyedStateStore(for: OperatorLocation(operatorName: "contract", subtask: 0, parallelism: 1),
                                        keyGroups: keyGroups, maxParallelism: maxParallelism, restoring: restoring)
    }

    package static func position(_ key: Int) -> KeyPosition { KeyPosition(of: key, maxParallelism: maxParallelism) }

    /// A full checkpoint of the first state format restores: every key is found by a lookup
    /// (a disk-backed backend re-encodes the old keys), and writing a restored key replaces its
    /// entry instead of adding a second one.
    package static func firstFormatCheckpointRestores(_ backend: any StateBackend, file: StaticString = #filePath, line: UInt = #line) throws {
        let keys = Array(-50..<250)
        let blobs = Dictionary(grouping: keys) { position($0).keyGroup }.map { keyGroup, keys in
            KeyGroupBlob(keyGroup: keyGroup, bytes: FirstStateFormat.blob(keys.map { (key: $0, hash: position($0).hash, value: $0 * 3) }))
        }
        let restored = try store(backend, restoring: ["counts": blobs])
        let table = try restored.table(named: "counts", key: Int.self, value: Int.self)
        for key in keys { XCTAssertEqual(table.get(key, at: position(key)), key * 3, "key \(key)", file: file, line: line) }
        for key in keys where key % 2 == 0 { table.set(-key, for: key, at: position(key)) }
        var entries: [Int: Int] = [:]
        try table.forEachEntry { key, value in XCTAssertNil(entries.updateValue(value, forKey: key), "key \(key) once", file: file, line: line) }
        XCTAssertEqual(entries, Dictionary(uniqueKeysWithValues: keys.map { ($0, $0 % 2 == 0 ? -$0 : $0 * 3) }), file: file, line: line)
        let snapshot = try restored.snapshot()
        XCTAssertEqual(try XCTUnwrap(try snapshot.entries(of: "counts", as: [Int: Int].self), file: file, line: line), entries, file: file, line: line)
    }

    /// A snapshot keeps the values of the moment it was taken while the table goes on changing.
    package static func snapshotIsUnaffectedByLaterWrites(_ backend: any StateBackend, file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try store(backend)
        let table = try store.table(named: "counts", key: Int.self, value: Int.self)
        for key in 0..<10_000 { table.set(key, for: key, at: position(key)) }
        let snapshot = try store.snapshot()
        for key in 0..<10_000 { table.update(key, at: position(key)) { $0! += 1_000_000 } }
        table.set(nil, for: 5, at: position(5))
        table.set(-1, for: 20_000, at: position(20_000))

        let frozen = try XCTUnwrap(try snapshot.entries(of: "counts", as: [Int: Int].self), file: file, line: line)
        XCTAssertEqual(frozen.count, 10_000, file: file, line: line)
        XCTAssertTrue(frozen.allSatisfy { $0.key == $0.value }, "the snapshot keeps the values of the moment it was taken", file: file, line: line)
        XCTAssertEqual(snapshot.tables["counts"]?.entryCount, 10_000, file: file, line: line)
        XCTAssertEqual(table.count, 10_000, "live table: one removed, one added", file: file, line: line)
        XCTAssertEqual(table.get(7, at: position(7)), 1_000_007, file: file, line: line)
        XCTAssertNil(table.get(5, at: position(5)), file: file, line: line)
        var seen = 0
        table.forEachEntry { key, value in
            XCTAssertEqual(value, key == 20_000 ? -1 : key + 1_000_000, file: file, line: line)
            seen += 1
        }
        XCTAssertEqual(seen, 10_000, file: file, line: line)
    }

    /// Two registrations of one name with other types are refused; the same types share the table.
    package static func sameNameWithOtherTypesIsRejected(_ backend: any StateBackend, file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try store(backend)
        _ = try store.table(named: "state", key: Int.self, value: Int.self)
        XCTAssertThrowsError(try store.table(named: "state", key: Int.self, value: String.self), file: file, line: line) { error in
            guard case StateError.typeMismatch(let name, _, _) = error else { return XCTFail("unexpected \(error)", file: file, line: line) }
            XCTAssertEqual(name, "state", file: file, line: line)
        }
        let first = try store.table(named: "state", key: Int.self, value: Int.self)
        first.set(3, for: 1, at: position(1))
        XCTAssertEqual(try store.table(named: "state", key: Int.self, value: Int.self).get(1, at: position(1)), 3, "same types give the same table", file: file, line: line)
    }

    /// A checkpoint's blobs of one backend restore into `other` split over two subtasks (another
    /// parallelism): each gets exactly the entries of its key groups, of every table.
    package static func checkpointRestoresSplitInto(_ other: any StateBackend, from backend: any StateBackend,
                                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try store(backend)
        let counts = try store.table(named: "counts", key: Int.self, value: Int.self)
        let names = try store.table(named: "names", key: String.self, value: [String].self)
        for key in 0..<5_000 {
            counts.set(key * 3, for: key, at: position(key))
            names.update("k\(key)", at: KeyPosition(of: "k\(key)", maxParallelism: maxParallelism)) { $0 = ["a\(key)", "b"] }
        }
        for key in stride(from: 0, to: 5_000, by: 7) { counts.set(nil, for: key, at: position(key)) }
        var blobs: [String: [KeyGroupBlob]] = [:]
        for (name, table) in try store.snapshot().tables { blobs[name] = try table.serializeKeyGroups() }

        let halves = [KeyGroupRange(start: 0, end: 63), KeyGroupRange(start: 64, end: 127)]
        var restoredCounts: [Int: Int] = [:]
        var restoredNames: [String: [String]] = [:]
        for half in halves {
            let part = blobs.mapValues { $0.filter { half.contains($0.keyGroup) } }
            let restored = try Self.store(other, keyGroups: half, restoring: part)
            try restored.table(named: "counts", key: Int.self, value: Int.self).forEachEntry { key, value in
                XCTAssertTrue(half.contains(position(key).keyGroup), "key \(key) restored into the subtask of its key group", file: file, line: line)
                XCTAssertNil(restoredCounts.updateValue(value, forKey: key), file: file, line: line)
            }
            let restoredNamesTable = try restored.table(named: "names", key: String.self, value: [String].self)
            restoredNamesTable.forEachEntry { key, value in restoredNames[key] = value }
            let probe = KeyPosition(of: "k42", maxParallelism: maxParallelism)
            if half.contains(probe.keyGroup) {
                XCTAssertEqual(restoredNamesTable.get("k42", at: probe), ["a42", "b"], "a restored entry is found where the operator looks", file: file, line: line)
            }
        }
        let expectedCounts = Dictionary(uniqueKeysWithValues: (0..<5_000).filter { $0 % 7 != 0 }.map { ($0, $0 * 3) })
        XCTAssertEqual(restoredCounts, expectedCounts, file: file, line: line)
        XCTAssertEqual(restoredNames.count, 5_000, file: file, line: line)
        XCTAssertEqual(restoredNames["k4999"], ["a4999", "b"], file: file, line: line)
    }
}
