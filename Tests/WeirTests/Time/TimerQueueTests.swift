import XCTest
@testable import Weir

final class TimerQueueTests: XCTestCase {
    func testTimersFireInTimeOrderOnceAndDeletedOnesNever() {
        let queue = TimerQueue<String, NoNamespace>()
        for (time, key) in [(30, "c"), (10, "a"), (20, "b"), (10, "a"), (40, "d")] {
            queue.register(Timer(timestamp: Int64(time), key: key, namespace: NoNamespace()))
        }
        queue.delete(Timer(timestamp: 20, key: "b", namespace: NoNamespace()))
        XCTAssertEqual(queue.count, 3, "duplicates are registered once, deleted ones are gone")
        var fired: [String] = []
        while let timer = queue.popDue(at: 35) { fired.append(timer.key) }
        XCTAssertEqual(fired, ["a", "c"])
        XCTAssertEqual(queue.nextTimestamp, 40)
        queue.register(Timer(timestamp: 20, key: "b", namespace: NoNamespace()))
        XCTAssertEqual(queue.popDue(at: 35)?.key, "b", "re-registering after a delete works")
    }
}
