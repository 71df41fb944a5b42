import XCTest
@testable import Weir
import WeirTestSupport

final class HeapStateBackendTests: XCTestCase {
    private func makeStore() -> any KeyedStateStore {
        HeapStateBackend().makeKeyedStateStore(
            for: OperatorLocation(operatorName: "test", subtask: 0, parallelism: 1),
            keyGroups: KeyGroupRange(start: 0, end: 127), maxParallelism: 128, restoring: [:])
    }

    func testACheckpointOfTheFirstStateFormatRestores() throws {
        try StateBackendContract.firstFormatCheckpointRestores(HeapStateBackend())
    }

    func testSnapshotIsUnaffectedByLaterWrites() throws {
        try StateBackendContract.snapshotIsUnaffectedByLaterWrites(HeapStateBackend())
    }

    func testSameNameWithOtherTypesIsRejected() throws {
        try StateBackendContract.sameNameWithOtherTypesIsRejected(HeapStateBackend())
    }

    func testCheckpointRestoresAtAnotherParallelism() throws {
        try StateBackendContract.checkpointRestoresSplitInto(HeapStateBackend(), from: HeapStateBackend())
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
