import NIOCore
import XCTest
@testable import WeirKafka

final class StickyAssignmentTests: XCTestCase {
    func testTasksAreDealtEvenlyAndDeterministically() {
        let assignment = StickyAssignment.assign(Array(0..<10), to: ["b": [], "a": [], "c": []])
        XCTAssertEqual(assignment.values.map(\.count).sorted(), [3, 3, 4])
        XCTAssertEqual(Set(assignment.values.flatMap { $0 }), Set(0..<10))
        XCTAssertEqual(assignment, StickyAssignment.assign(Array(0..<10).reversed(), to: ["c": [], "a": [], "b": []]), "the same whoever computes it")
    }

    func testANewMemberTakesOnlyWhatBalanceNeeds() {
        let before = StickyAssignment.assign(Array(0..<12), to: ["a": [], "b": [], "c": []])
        var members = before
        members["d"] = []
        let after = StickyAssignment.assign(Array(0..<12), to: members)
        XCTAssertEqual(after.values.map(\.count), [3, 3, 3, 3])
        let moved = (0..<12).filter { task in before.first { $0.value.contains(task) }?.key != after.first { $0.value.contains(task) }?.key }
        XCTAssertEqual(moved.count, 3, "only the new member's share moves: \(moved)")
    }

    func testALostMembersTasksAreSpreadAndTheRestStay() {
        let before = StickyAssignment.assign(Array(0..<12), to: ["a": [], "b": [], "c": []])
        let after = StickyAssignment.assign(Array(0..<12), to: ["a": before["a"]!, "c": before["c"]!])
        XCTAssertEqual(after.values.map(\.count), [6, 6])
        XCTAssertTrue(Set(before["a"]!).isSubset(of: Set(after["a"]!)) && Set(before["c"]!).isSubset(of: Set(after["c"]!)))
    }

    func testClaimsOfGoneTasksAndDoubleClaimsAreResolved() {
        // After a split brain two members claim task 1; task 9 no longer exists.
        let after = StickyAssignment.assign([0, 1, 2, 3], to: ["a": [0, 1, 9], "b": [1, 2]])
        XCTAssertEqual(Set(after.values.flatMap { $0 }), [0, 1, 2, 3])
        XCTAssertEqual(after.values.flatMap { $0 }.count, 4, "each task once")
        XCTAssertEqual(after["a"], [0, 1])
    }

    func testRandomHistoriesStayBalancedCompleteAndSticky() {
        var random = SystemRandomNumberGenerator()
        var members: [String: [Int]] = ["m0": []]
        let tasks = Array(0..<37)
        for _ in 0..<300 {
            // Add or remove a member, then reassign with what each had.
            if members.count > 1 && Bool.random(using: &random) {
                members.removeValue(forKey: members.keys.randomElement(using: &random)!)
            } else {
                let name = "m\(Int.random(in: 0..<1_000, using: &random))"
                if members[name] == nil { members[name] = [] }
            }
            let before = members
            let after = StickyAssignment.assign(tasks, to: members)
            let loads = after.values.map(\.count)
            XCTAssertLessThanOrEqual(loads.max()! - loads.min()!, 1)
            XCTAssertEqual(after.values.flatMap { $0 }.sorted(), tasks)
            // Sticky: a member keeps min(previous, its new load) of its previous tasks.
            for (name, previous) in before {
                XCTAssertGreaterThanOrEqual(Set(previous).intersection(after[name]!).count, min(previous.count, after[name]!.count))
            }
            members = after
        }
    }
}

final class GroupMemberStateTests: XCTestCase {
    func response(_ code: KafkaErrorCode, member: String, leader: String, generation: Int32 = 1) -> JoinGroupRequest.Response {
        JoinGroupRequest.Response(errorCode: code, generationID: generation, protocolName: "weir-tasks", leader: leader, memberID: member, members: [])
    }

    func testAMemberIDRequiredIsJoinedAgainWithTheGivenID() {
        var machine = GroupMemberState()
        XCTAssertEqual(machine.join(), .sendJoin(memberID: ""))
        XCTAssertEqual(machine.joined(response(.memberIDRequired, member: "m-1", leader: "")), .sendJoin(memberID: "m-1"))
        XCTAssertEqual(machine.joined(response(.none, member: "m-1", leader: "m-2", generation: 4)), .sendSync(generation: 4, memberID: "m-1", members: []))
        let assignment = ByteBuffer(string: "1,2")
        XCTAssertEqual(machine.synced(.init(errorCode: .none, assignment: assignment)), .assigned(generation: 4, assignment: assignment))
        XCTAssertEqual(machine.state, .stable(generation: 4, memberID: "m-1", assignment: assignment))
    }

    func testHeartbeatsLeadBackToJoiningOrStop() {
        var machine = GroupMemberState()
        _ = machine.join()
        _ = machine.joined(response(.none, member: "m-1", leader: "m-1"))
        _ = machine.synced(.init(errorCode: .none, assignment: ByteBuffer()))
        XCTAssertEqual(machine.heartbeat(.none), .none)
        XCTAssertEqual(machine.heartbeat(.rebalanceInProgress), .sendJoin(memberID: "m-1"), "a rebalance: join again as the same member")
        _ = machine.joined(response(.none, member: "m-1", leader: "m-1", generation: 2))
        _ = machine.synced(.init(errorCode: .none, assignment: ByteBuffer()))
        XCTAssertEqual(machine.heartbeat(.unknownMemberID), .sendJoin(memberID: ""), "the session expired: join as a new member")
        _ = machine.joined(response(.none, member: "m-9", leader: "m-9", generation: 3))
        _ = machine.synced(.init(errorCode: .none, assignment: ByteBuffer()))
        if case .stop = machine.heartbeat(.fencedInstanceID) {} else { XCTFail("a fenced instance id stops the member") }
        if case .fenced = machine.state {} else { XCTFail("\(machine.state)") }
        if case .stop = machine.join() {} else { XCTFail("a fenced member does not join again") }
    }
}
