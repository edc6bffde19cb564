import Foundation

/// A named app that sends events, identified by its write key.
public struct Source: Sendable, Hashable {
    public var name: String
    public var writeKey: String

    public init(name: String, writeKey: String) {
        self.name = name
        self.writeKey = writeKey
    }
}

public struct IngestLimits: Sendable, Hashable {
    public var maxRequestBytes = 500 * 1024
    public var maxBatchEvents = 2_500
    public var maxJSONDepth = 64

    public init() {}
}

public struct IngestConfiguration: Sendable {
    public var sources: [Source]
    public var limits: IngestLimits

    public init(sources: [Source], limits: IngestLimits = IngestLimits()) {
        self.sources = sources
        self.limits = limits
    }
}
