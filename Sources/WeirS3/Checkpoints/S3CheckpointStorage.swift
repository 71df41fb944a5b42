import Foundation
import Synchronization
import Weir

/// Checkpoints in an S3-compatible bucket, under a prefix:
///
/// ```
/// <prefix>/
///   _claims/<epoch>-<run>                 one per run: its epoch, owner, and the run it continues (RunClaim)
///   <epoch>-<run>/chk-<n>/<operator>-<subtask>.state
///   <epoch>-<run>/chk-<n>/_metadata       written last; the checkpoint counts once it exists
/// ```
///
/// Each state file is one object (uploaded in parts when large); `_metadata` is put only after
/// every state file's PUT returned, and an object appears whole or not at all, so a checkpoint
/// with `_metadata` is complete. Checkpoints are found by listing, never by a pointer object.
///
/// **Fencing without conditional writes.** Many S3-compatible servers ignore `If-None-Match`,
/// so a run cannot atomically take the location over. Instead every run writes under its own
/// run key, and its claim records which checkpoints of the run before it count: those
/// complete when it claimed. A zombie of the older run (paused past its failure detection)
/// may still complete checkpoints afterwards — under its own key, beyond the bound, so no
/// restore ever uses them; and the Kafka sink's transactional epochs fence its transactions.
/// ``checkStillOwned()`` also stops a zombie at its next checkpoint (a newer claim is listed).
/// What no storage without conditional writes closes: two runs *both live* (not one paused)
/// while the newer one claims — the older one's check and its `_metadata` PUT are two steps,
/// milliseconds apart. Keeping a second run from starting while the first still runs is the
/// job of the deployment (a single-process job) or the consumer group (workers).
///
/// Retention deletes checkpoints beyond the newest retained ones of the lineage; a claim
/// deletes what earlier runs left that no restore can use (incomplete checkpoints, a
/// zombie's, runs a fresh start left behind).
public final class S3CheckpointStorage: CheckpointStorage {
    /// The bucket.
    public let client: S3Client
    /// The key prefix without a trailing `/` (may be empty).
    public let prefix: String
    /// This process, in claims and messages.
    public let owner: String
    let run: String
    let claimed = Mutex<Claimed?>(nil)

    struct Claimed: Sendable {
        let claim: RunClaim
        let lineage: RunLineage
        /// The greatest checkpoint id this run began: a lower or equal one (after a restart
        /// within the run) may have left objects to delete first.
        var highestBegun: Int64 = 0
    }

    /// Checkpoints in `configuration`'s bucket under `prefix` (`jobs/clicks`).
    public init(_ configuration: S3Configuration, prefix: String) {
        self.client = S3Client(configuration)
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        self.prefix = trimmed
        self.run = String(UUID().uuidString.lowercased().prefix(8))
        self.owner = "\(ProcessInfo.processInfo.hostName) pid \(getpid()) run \(run)"
    }

    /// `s3://bucket/prefix`.
    public var location: String { "s3://\(client.configuration.bucket)/\(prefix)" }

    /// The same bucket under `<prefix>/<path>`, a run of its own.
    public func nested(_ path: String) -> (any CheckpointStorage)? { S3CheckpointStorage(client.configuration, prefix: key(path)) }

    func key(_ relative: String) -> String { prefix.isEmpty ? relative : prefix + "/" + relative }
    var claimsPrefix: String { key("_claims/") }
    func checkpointPrefix(runKey: String, checkpointID: Int64) -> String { key("\(runKey)/chk-\(checkpointID)/") }

    // MARK: Claims

    /// Every claim under the prefix, by run key.
    func claims() throws -> [String: RunClaim] {
        var result: [String: RunClaim] = [:]
        for object in try storageCall({ try client.listObjects(prefix: claimsPrefix) }) {
            let runKey = String(object.key.dropFirst(claimsPrefix.count))
            guard RunClaim.epoch(ofKey: runKey[...]) != nil else { continue }
            let bytes: [UInt8]
            do { bytes = try client.getObject(object.key) } catch let error as S3Error where error.isNotFound { continue } // deleted meanwhile
            do {
                result[runKey] = try JSONDecoder().decode(RunClaim.self, from: Data(bytes))
            } catch {
                throw CheckpointError.corruptFile(path: "s3://\(client.configuration.bucket)/\(object.key)", reason: "not a run claim: \(error)")
            }
        }
        return result
    }

    /// Checkpoint ids of one run and whether each has `_metadata`.
    func checkpointsOfRun(_ runKey: String) throws -> [Int64: Bool] {
        let runPrefix = key("\(runKey)/chk-")
        var found: [Int64: Bool] = [:]
        for object in try storageCall({ try client.listObjects(prefix: runPrefix) }) {
            let rest = object.key.dropFirst(runPrefix.count)
            guard let slash = rest.firstIndex(of: "/"), let id = Int64(rest[..<slash]) else { continue }
            let isMetadata = rest[rest.index(after: slash)...] == StoredCheckpoint.metadataName
            found[id] = (found[id] ?? false) || isMetadata
        }
        return found
    }

    /// Writes this run's claim: epoch one above every claim listed, and — with `resuming` —
    /// the newest claim's run as its parent, bounded at that run's newest complete checkpoint.
    /// Then deletes what no restore of the lineage can use. Throws if another run claimed the
    /// same epoch at the same moment.
    public func claim(resuming: Bool) throws {
        let before = try claims()
        let epoch = (before.values.map(\.epoch).max() ?? 0) + 1
        var parent: RunClaim.Parent?
        if resuming, let newest = RunLineage.newest(before.values) {
            let own = try checkpointsOfRun(newest.key)
            parent = RunClaim.Parent(runKey: newest.key, upTo: own.filter(\.value).keys.max() ?? 0)
        }
        let claim = RunClaim(epoch: epoch, run: run, owner: owner, parent: parent)
        let bytes = Array(try JSONEncoder().encode(claim))
        try storageCall { try client.putObject(claimsPrefix + claim.key, bytes) }
        // Two runs started at the same moment may both have taken this epoch: whichever lists
        // second sees both (S3 lists what was written before), and neither may go on then.
        let after = try claims()
        if let rival = after.values.first(where: { $0.epoch == epoch && $0.run != run }) {
            try? client.deleteObject(claimsPrefix + claim.key)
            throw CheckpointError.storage(path: location, reason: "another run (\(rival.owner)) claimed the checkpoints at the same moment (epoch \(epoch)); run one of them only, then resume")
        }
        let lineage = RunLineage(head: claim.key, claims: after)
        claimed.withLock { $0 = Claimed(claim: claim, lineage: lineage) }
        removeUnusable(claims: after, lineage: lineage, epoch: epoch)
    }

    /// Deletes what no restore of this lineage can use: incomplete checkpoints and a zombie's
    /// checkpoints past its bound in the lineage, runs outside the lineage older than this one,
    /// and the claims of runs that hold nothing any more. Best effort: a leftover costs space,
    /// never correctness (restores only read the lineage).
    func removeUnusable(claims: [String: RunClaim], lineage: RunLineage, epoch: Int64) {
        var runKeys = Set(claims.keys)
        if let objects = try? client.listObjects(prefix: key("")) {
            for object in objects {
                let relative = object.key.dropFirst(prefix.isEmpty ? 0 : prefix.count + 1)
                guard let slash = relative.firstIndex(of: "/"), RunClaim.epoch(ofKey: relative[..<slash]) != nil else { continue }
                runKeys.insert(String(relative[..<slash]))
            }
        }
        var emptyRuns: Set<String> = []
        for runKey in runKeys {
            guard let runEpoch = RunClaim.epoch(ofKey: runKey[...]), runEpoch < epoch else { continue }
            guard let checkpoints = try? checkpointsOfRun(runKey) else { continue }
            var kept = 0
            for (id, complete) in checkpoints {
                if complete && lineage.contains(runKey: runKey, checkpointID: id) {
                    kept += 1
                } else {
                    deleteObjects(under: checkpointPrefix(runKey: runKey, checkpointID: id))
                }
            }
            if kept == 0 { emptyRuns.insert(runKey) }
        }
        // A claim is needed while it leads to retained checkpoints: keep the lineage up to its
        // last run that still holds some; delete every other claim older than this run.
        let needed = lineage.links.map(\.runKey)
        let lastHolding = needed.lastIndex { !emptyRuns.contains($0) } ?? 0
        let keep = Set(needed.prefix(lastHolding + 1))
        for (runKey, other) in claims where other.epoch < epoch && !keep.contains(runKey) {
            try? client.deleteObject(claimsPrefix + runKey)
        }
    }

    func deleteObjects(under keyPrefix: String) {
        guard let objects = try? client.listObjects(prefix: keyPrefix) else { return }
        // `_metadata` first: the checkpoint stops counting before its files go.
        let isMetadata = { (object: S3Object) in object.key.hasSuffix("/" + StoredCheckpoint.metadataName) }
        for object in objects.filter(isMetadata) + objects.filter({ !isMetadata($0) }) {
            try? client.deleteObject(object.key)
        }
    }

    func ownClaim() throws -> Claimed {
        guard let claimed = claimed.withLock({ $0 }) else {
            throw CheckpointError.storage(path: location, reason: "used before claim(resuming:)")
        }
        return claimed
    }

    /// Lists the claims; throws `CheckpointError.superseded` if a newer one than this run's is there.
    public func checkStillOwned() throws {
        let own = try ownClaim().claim
        // The keys tell epochs and runs; only a newer claim is read (for its owner).
        let newer = try storageCall { try client.listObjects(prefix: claimsPrefix) }.map { String($0.key.dropFirst(claimsPrefix.count)) }.filter { runKey in
            guard let epoch = RunClaim.epoch(ofKey: runKey[...]) else { return false }
            return (epoch, runKey) > (own.epoch, own.key)
        }
        guard let newest = newer.max() else { return }
        let owner = (try? client.getObject(claimsPrefix + newest)).flatMap { try? JSONDecoder().decode(RunClaim.self, from: Data($0)).owner } ?? newest
        throw CheckpointError.superseded(path: location, by: owner)
    }

    // MARK: Checkpoints

    /// Deletes what an earlier attempt of this run left under the checkpoint's id.
    public func beginCheckpoint(_ checkpointID: Int64) throws {
        let own = try ownClaim()
        claimed.withLock { $0?.highestBegun = max(own.highestBegun, checkpointID) }
        // A restart within this run takes ids again from the restored checkpoint on.
        if checkpointID <= own.highestBegun { deleteObjects(under: checkpointPrefix(runKey: own.claim.key, checkpointID: checkpointID)) }
    }

    /// Puts one state file under this run's `chk-<n>/` (in parts when large).
    public func writeStateFile(_ bytes: [UInt8], name: String, checkpointID: Int64) throws {
        let key = checkpointPrefix(runKey: try ownClaim().claim.key, checkpointID: checkpointID) + name
        try storageCall { try client.putObject(key, bytes) }
    }

    /// Puts `_metadata` once the claim is still the newest. Every state file's PUT has
    /// returned by then (S3 acknowledges a PUT once the object is durable).
    public func completeCheckpoint(_ checkpointID: Int64, metadata: [UInt8]) throws {
        try checkStillOwned()
        let key = checkpointPrefix(runKey: try ownClaim().claim.key, checkpointID: checkpointID) + StoredCheckpoint.metadataName
        try storageCall { try client.putObject(key, metadata) }
    }

    /// Deletes this run's objects of the checkpoint, `_metadata` first.
    public func abortCheckpoint(_ checkpointID: Int64) {
        guard let own = try? ownClaim() else { return }
        deleteObjects(under: checkpointPrefix(runKey: own.claim.key, checkpointID: checkpointID))
    }

    /// Deletes a checkpoint's objects, `_metadata` first (it stops counting before its files go).
    public func discard(_ checkpoint: StoredCheckpoint) {
        deleteObjects(under: checkpoint.reference)
    }

    /// The lineage's checkpoints, newest first. Before this run claimed: the lineage of the
    /// newest claim (what a resume would restore; `weir checkpoints`).
    public func storedCheckpoints() throws -> [StoredCheckpoint] {
        let lineage: RunLineage
        if let own = claimed.withLock({ $0 }) {
            lineage = own.lineage
        } else {
            let all = try claims()
            guard let newest = RunLineage.newest(all.values) else { return [] }
            lineage = RunLineage(head: newest.key, claims: all)
        }
        var result: [StoredCheckpoint] = []
        for link in lineage.links {
            for (id, complete) in try checkpointsOfRun(link.runKey) where link.upTo.map({ id <= $0 }) ?? true {
                let reference = checkpointPrefix(runKey: link.runKey, checkpointID: id)
                result.append(StoredCheckpoint(checkpointID: id, location: "s3://\(client.configuration.bucket)/\(reference.dropLast())",
                                               isComplete: complete, reference: reference))
            }
        }
        return result.sorted { $0.checkpointID > $1.checkpointID }
    }

    /// Gets one object of a checkpoint; a failure is reported as a damaged file.
    public func read(_ name: String, of checkpoint: StoredCheckpoint) throws -> [UInt8] {
        do { return try client.getObject(checkpoint.reference + name) } catch {
            throw CheckpointError.corruptFile(path: checkpoint.location + "/" + name, reason: "\(error)")
        }
    }

    // MARK: Shared files

    /// Puts a shared file under `shared/` (S3 acknowledges a PUT once the object is durable).
    public func writeSharedFile(_ bytes: [UInt8], name: String) throws {
        try storageCall { try client.putObject(key("shared/" + name), bytes) }
    }

    public func readSharedFile(_ name: String) throws -> [UInt8] {
        do { return try client.getObject(key("shared/" + name)) } catch {
            throw CheckpointError.corruptFile(path: location + "/shared/" + name, reason: "\(error)")
        }
    }

    public func deleteSharedFile(_ name: String) { try? client.deleteObject(key("shared/" + name)) }

    public func sharedFileNames() throws -> [String] {
        let prefix = key("shared/")
        return try storageCall { try client.listObjects(prefix: prefix) }.map { String($0.key.dropFirst(prefix.count)) }
    }

    /// Runs `body`, turning an ``S3Error`` into the storage error the engine reports.
    func storageCall<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as S3Error {
            throw CheckpointError.storage(path: location, reason: "\(error)")
        }
    }
}
