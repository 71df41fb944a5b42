/// The encoded entries of one key group of one keyed part of an operator's state.
public struct KeyGroupBlob: Codable, Sendable {
    /// The entries `bytes` of `keyGroup` (a list of stored entries, see ``StoredEntryFraming``).
    public init(keyGroup: Int, bytes: [UInt8]) { self.keyGroup = keyGroup; self.bytes = bytes }
    /// The key group the entries belong to.
    public var keyGroup: Int
    /// The entries, in Weir's binary state encoding.
    public var bytes: [UInt8]
}
