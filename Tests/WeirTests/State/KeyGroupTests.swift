import XCTest
@testable import Weir

final class KeyGroupTests: XCTestCase {
    /// These values were computed once and must never change: a key's key group decides which
    /// subtask restores its state, in another process, on another machine, after an upgrade.
    /// Swift's seeded `hashValue` would fail this test in every new process.
    func testKeyGroupsAreStableAcrossProcesses() {
        let ints: [(Int, Int, UInt64)] = [
            (0, 123, 0xb903_4ad3_7056_f5fb), (1, 76, 0x0d7c_ea42_b505_7e4c), (2, 33, 0x5aec_8525_9005_6221),
            (42, 29, 0x1d27_3896_e864_1a1d), (-7, 112, 0x2d40_e46d_cf29_2370), (1_000_000, 57, 0x1d29_4701_f967_61b9),
            (Int.max, 2, 0xaf49_bf8b_748a_1602),
        ]
        for (key, group, hash) in ints {
            XCTAssertEqual(key.stableHashValue, hash, "stable hash of \(key)")
            XCTAssertEqual(KeyGroupRange.keyGroup(of: key, maxParallelism: 128), group, "key group of \(key)")
        }
        let strings: [(String, Int, UInt64)] = [
            ("a", 112, 0xe0e9_8332_3b51_d4f0), ("weir", 34, 0x277a_d91a_f6c9_7b22),
            ("sensor-17", 48, 0x2da8_aeff_c276_6e30), ("ü", 0, 0x5c6d_fde3_ef0e_2f80),
        ]
        for (key, group, hash) in strings {
            XCTAssertEqual(key.stableHashValue, hash, "stable hash of \(key)")
            XCTAssertEqual(KeyGroupRange.keyGroup(of: key, maxParallelism: 128), group, "key group of \(key)")
        }
        XCTAssertEqual(Int64(42).stableHashValue, 42.stableHashValue, "Int and Int64 keys of equal value share a key group")
    }

    func testKeyPositionCarriesTheStableHashAndItsKeyGroup() {
        let position = KeyPosition(of: "weir", maxParallelism: 128)
        XCTAssertEqual(position.hash, 0x277a_d91a_f6c9_7b22)
        XCTAssertEqual(position.keyGroup, 34)
    }

    func testHashedKeysOfOneKeyGroupSpreadOverDictionaryBuckets() {
        // All keys of key group 0 share their hash modulo 128; the dictionary must still spread them.
        let keys = (0..<1_000_000).lazy.filter { KeyGroupRange.keyGroup(of: $0, maxParallelism: 128) == 0 }.prefix(2_000)
        var buckets = Set<Int>()
        for key in keys { buckets.insert(HashedKey(key, hash: key.stableHashValue)._rawHashValue(seed: 12_345) & 4_095) }
        XCTAssertGreaterThan(buckets.count, 1_500, "2,000 keys of one key group land in many of 4,096 buckets")
    }

    func testStableHashDistinguishesStringSplits() {
        XCTAssertNotEqual("ab".stableHashValue, "a".stableHashValue)
        var one = StableHasher(), two = StableHasher()
        "ab".stableHash(into: &one); "c".stableHash(into: &one)
        "a".stableHash(into: &two); "bc".stableHash(into: &two)
        XCTAssertNotEqual(one.finalize(), two.finalize())
    }

    func testRangesPartitionAllKeyGroupsAndInvertSubtaskOwnership() {
        for maxParallelism in [1, 7, 128, 1_000] {
            for parallelism in 1...min(maxParallelism, 12) {
                var next = 0
                for subtask in 0..<parallelism {
                    let range = KeyGroupRange.forSubtask(subtask, parallelism: parallelism, maxParallelism: maxParallelism)
                    XCTAssertEqual(range.start, next, "ranges are contiguous (p=\(parallelism), max=\(maxParallelism))")
                    XCTAssertGreaterThanOrEqual(range.count, maxParallelism / parallelism)
                    XCTAssertLessThanOrEqual(range.count, maxParallelism / parallelism + 1)
                    for group in range.start...range.end {
                        XCTAssertEqual(KeyGroupRange.subtask(owning: group, parallelism: parallelism, maxParallelism: maxParallelism), subtask)
                    }
                    next = range.end + 1
                }
                XCTAssertEqual(next, maxParallelism, "ranges cover every key group")
            }
        }
    }

    func testConsecutiveIntegerKeysSpreadEvenlyOverKeyGroups() {
        var counts = Array(repeating: 0, count: 128)
        for key in 0..<12_800 { counts[KeyGroupRange.keyGroup(of: key, maxParallelism: 128)] += 1 }
        XCTAssertGreaterThan(counts.min()!, 50, "no key group is starved")
        XCTAssertLessThan(counts.max()!, 160, "no key group is overloaded")
    }
}
