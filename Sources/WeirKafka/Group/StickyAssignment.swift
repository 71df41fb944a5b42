/// Deals tasks to members: balanced (member loads differ by at most one), and sticky (a task
/// stays with the member that had it, as far as balance allows) — so that a rebalance moves
/// only the tasks it must (a task that moves restores its state from its checkpoint).
/// Deterministic: the same inputs give the same assignment, whichever member is the leader.
package enum StickyAssignment {
    /// `tasks` dealt to `members` (member id → the tasks it had, which may name tasks that no
    /// longer exist or that two members claim after a split brain: the first in member order
    /// keeps them).
    package static func assign<Task: Hashable & Comparable>(_ tasks: [Task], to members: [String: [Task]]) -> [String: [Task]] {
        let names = members.keys.sorted()
        guard !names.isEmpty else { return [:] }
        let all = Set(tasks)
        // Member i may hold at most `base` tasks, or `base + 1` for the first `extra` of those
        // that end with the most.
        let base = all.count / names.count, extra = all.count % names.count
        var result: [String: [Task]] = [:]
        var taken: Set<Task> = []
        // Keep previous tasks, up to the base load, members with more previous tasks first
        // (so that they keep the extra slots).
        let byPrevious = names.sorted { (members[$0]?.count ?? 0, $1) > (members[$1]?.count ?? 0, $0) }
        var extraLeft = extra
        for name in byPrevious {
            let previous = (members[name] ?? []).filter { all.contains($0) && !taken.contains($0) }.sorted()
            var limit = base
            if extraLeft > 0 && previous.count > base { limit += 1; extraLeft -= 1 }
            let kept = Array(previous.prefix(limit))
            result[name] = kept
            taken.formUnion(kept)
        }
        // Deal the rest to the least loaded, in order: with the kept loads at most base + 1
        // (and no more of those than `extra`), this ends with every load base or base + 1.
        for task in all.subtracting(taken).sorted() {
            let name = names.min { ((result[$0]?.count ?? 0), $0) < ((result[$1]?.count ?? 0), $1) }!
            result[name, default: []].append(task)
        }
        return result.mapValues { $0.sorted() }
    }
}
