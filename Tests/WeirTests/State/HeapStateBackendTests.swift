import XCTest
@testable import Weir

final class HeapStateBackendTests: XCTestCase {
    private func makeStore() -> any KeyedStateStore {
        HeapStateBackend().makeKeyedStateStore(
            for: OperatorLocation(operatorName: "test", subtask: 0, parallelism: 1),
            keyGroups: KeyGroupRange(start: 0, end: 127), maxParallelism: 128, restoring: [:])
    }

    func testSnapshotIsUnaffectedByLaterWrites() throws {
        let store = makeStore()
        let table = try store.table(named: "counts", key: Int.self, value: Int.self)
        func at(_ key: Int) -> KeyPosition { KeyPosition(of: key, maxParallelism: 128) }
        for key in 0..<10_000 { table.set(key, for: key, at: at(key)) }
        let snapshot = store.snapshot()
        for key in 0..<10_000 { table.update(key, at: at(key)) { $0! += 1_000_000 } }
        table.set(nil, for: 5, at: at(5))
        table.set(-1, for: 20_000, at: at(20_000))

        let frozen = try XCTUnwrap(snapshot.entries(of: "counts", as: [Int: Int].self))
        XCTAssertEqual(frozen.count, 10_000)
        XCTAssertTrue(frozen.allSatisfy { $0.key == $0.value }, "the snapshot keeps the values of the moment it was taken")
        XCTAssertEqual(snapshot.tables["counts"]?.entryCount, 10_000)
        XCTAssertEqual(table.count, 10_000, "live table: one removed, one added")
        XCTAssertEqual(table.get(7, at: at(7)), 1_000_007)
        var seen = 0
        table.forEachEntry { key, value in
            XCTAssertEqual(value, key == 20_000 ? -1 : key + 1_000_000)
            seen += 1
        }
        XCTAssertEqual(seen, 10_000)
    }

    func testSameNameWithOtherTypesIsRejected() throws {
        let store = makeStore()
        _ = try store.table(named: "state", key: Int.self, value: Int.self)
        XCTAssertThrowsError(try store.table(named: "state", key: Int.self, value: String.self)) { error in
            guard case StateError.typeMismatch(let name, _, _) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(name, "state")
        }
        XCTAssertNoThrow(try store.table(named: "state", key: Int.self, value: Int.self), "same types give the same table")
    }

    func testStateHandlesAreScopedToTheCurrentKey() throws {
        let store = makeStore()
        let keys = KeyContext<String>(maxParallelism: 128)
        let context = KeyedRuntimeContext(store: store, keyContext: keys, subtask: 0, parallelism: 1)
        let value = try context.state(ValueStateDescriptor<Int>("value"))
        let list = try context.state(ListStateDescriptor<String>("list"))
        let map = try context.state(MapStateDescriptor<String, Int>("map"))
        let reducing = try context.state(ReducingStateDescriptor<Int>("max") { max($0, $1) })

        keys.set("a")
        value.value = 1
        list.add("x"); list.add("y")
        map["k"] = 10
        try reducing.add(3); try reducing.add(9); try reducing.add(4)

        keys.set("b")
        XCTAssertNil(value.value)
        XCTAssertEqual(list.elements, [])
        XCTAssertTrue(map.isEmpty)
        XCTAssertNil(reducing.value)
        value.value = 2
        list.add(contentsOf: ["z"])

        keys.set("a")
        XCTAssertEqual(value.value, 1)
        XCTAssertEqual(list.elements, ["x", "y"])
        XCTAssertEqual(map.entries, ["k": 10])
        XCTAssertTrue(map.contains("k"))
        XCTAssertEqual(reducing.value, 9)
        map.removeValue(forKey: "k")
        XCTAssertTrue(map.isEmpty)
        list.clear(); value.clear(); reducing.clear()
        XCTAssertNil(value.value)
        XCTAssertEqual(list.elements, [])

        keys.set("b")
        XCTAssertEqual(value.value, 2)
        XCTAssertEqual(list.elements, ["z"])
    }
}
