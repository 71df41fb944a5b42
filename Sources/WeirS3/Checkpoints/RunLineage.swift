/// The runs whose checkpoints a run may restore, newest first: the run itself (all its
/// checkpoints), its parent up to the parent's bound, the parent's parent up to its bound…
/// A pure function of the claims, so that the fencing rule is tested without a server.
struct RunLineage: Sendable, Hashable {
    /// One run of the lineage and the greatest checkpoint id of it that counts (`nil`: all).
    struct Link: Sendable, Hashable {
        let runKey: String
        let upTo: Int64?
    }

    let links: [Link]

    /// The lineage that starts at `head` (a claim's key) among `claims`; it ends at a run that
    /// did not resume, or whose claim is gone (deleted once nothing of it was retained).
    init(head: String, claims: [String: RunClaim]) {
        var links = [Link(runKey: head, upTo: nil)]
        var seen: Set<String> = [head]
        var parent = claims[head]?.parent
        while let link = parent, !seen.contains(link.runKey) {
            links.append(Link(runKey: link.runKey, upTo: link.upTo))
            seen.insert(link.runKey)
            // A bound applies to its own run; an older run is bounded by the claim that continued it.
            parent = claims[link.runKey]?.parent
        }
        self.links = links
    }

    /// Whether checkpoint `id` of run `runKey` counts.
    func contains(runKey: String, checkpointID: Int64) -> Bool {
        guard let link = links.first(where: { $0.runKey == runKey }) else { return false }
        return link.upTo.map { checkpointID <= $0 } ?? true
    }

    /// The newest claim among `claims`: greatest epoch, then run.
    static func newest(_ claims: some Collection<RunClaim>) -> RunClaim? {
        claims.max { ($0.epoch, $0.run) < ($1.epoch, $1.run) }
    }
}
