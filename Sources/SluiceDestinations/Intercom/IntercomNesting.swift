import SluiceSpec

/// What to do with a trait or property whose value is an object or an array, which Intercom
/// accepts neither as a custom attribute nor as event metadata.
public enum NestedHandling: String, Sendable, Hashable, CaseIterable {
    /// `address: {city: "Oslo"}` becomes `"address.city": "Oslo"`; array items use their index.
    case flatten
    /// The value is sent as its compact JSON text.
    case stringify
    /// The value is not sent.
    case drop
}

/// Builds a flat object of Intercom values from traits or properties, applying the
/// nested-handling settings at every container it meets: a per-path override (`address.geo`)
/// wins over the default.
struct IntercomFlatWriter {
    /// Joins flattened keys. The issue asks for dots (`address.city`); Intercom's help pages say
    /// metadata key names may not contain periods, so this is the one place to change if the live
    /// API rejects them.
    static let separator = "."
    private static let separatorByte = separator.utf8.first!

    let defaultHandling: NestedHandling
    let overrides: [String: NestedHandling]
    /// Paths whose value is sent as an Intercom Rich Link object when it is one (`{url, value}`).
    let richLinkPaths: [String]

    /// Entries are collected in a plain array with room reserved up front: growing a
    /// `JSONObject` one `appendUnique` at a time reallocates and copies its entries repeatedly.
    private var output: [(key: String, value: JSON)] = []
    /// Flattened keys can only collide when some source key already contains the separator
    /// (`"address.city"` next to `address: {city}`), so duplicates are looked for only then.
    private var mayHaveDuplicates = false

    /// `expectedCount` is the number of source entries; nested ones usually add a few more.
    init(settings: IntercomSettings, richLinks: Bool, expectedCount: Int) {
        self.init(defaultHandling: settings.defaultNestedHandling, overrides: settings.nestedHandling,
                  richLinkPaths: richLinks ? settings.richLinkProperties : [], expectedCount: expectedCount + expectedCount / 2)
    }

    init(defaultHandling: NestedHandling, overrides: [String: NestedHandling] = [:], richLinkPaths: [String] = [],
         expectedCount: Int = 16) {
        self.defaultHandling = defaultHandling
        self.overrides = overrides
        self.richLinkPaths = richLinkPaths
        output.reserveCapacity(expectedCount)
    }

    /// Appends one trait or property, flattening, stringifying or dropping a nested value.
    mutating func append(_ key: String, _ value: JSON) {
        noteSeparator(in: key)
        switch value {
        case .object, .array: appendContainer(path: key, value)
        default: output.append((key: key, value: value))
        }
    }

    /// Whether a key is already taken, comparing lengths before keys.
    func contains(key: String) -> Bool {
        let length = key.utf8.count
        return output.contains { $0.key.utf8.count == length && $0.key == key }
    }

    /// Appends a value Intercom accepts as it is, such as a Monetary Amount.
    mutating func appendAsIs(_ key: String, _ value: JSON) {
        noteSeparator(in: key)
        output.append((key: key, value: value))
    }

    /// The flat object; where keys collided, the later value replaces the earlier one in its
    /// place, as a JavaScript flatten would.
    func finish() -> JSONObject {
        guard mayHaveDuplicates else { return JSONObject(output) }
        var unique = JSONObject()
        for entry in output { unique[entry.key] = entry.value }
        return unique
    }

    private mutating func noteSeparator(in key: String) {
        if !mayHaveDuplicates, Self.hasByte(Self.separatorByte, in: key) { mayHaveDuplicates = true }
    }

    /// A byte search over the string's contiguous UTF-8, much cheaper than iterating `utf8`.
    static func hasByte(_ byte: UInt8, in text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? text.utf8.contains(byte)
    }

    private mutating func appendContainer(path: String, _ value: JSON) {
        if !richLinkPaths.isEmpty, richLinkPaths.contains(path), Self.isRichLink(value) {
            output.append((key: path, value: value))
            return
        }
        let handling = overrides.isEmpty ? defaultHandling : overrides[path] ?? defaultHandling
        switch handling {
        case .drop:
            return
        case .stringify:
            output.append((key: path, value: .string(JSONWriter.string(value))))
        case .flatten:
            if case .object(let object) = value {
                for entry in object {
                    noteSeparator(in: entry.key)
                    appendFlattened(path: path + Self.separator + entry.key, entry.value)
                }
            } else if case .array(let items) = value {
                for (index, item) in items.enumerated() {
                    appendFlattened(path: path + Self.separator + String(index), item)
                }
            }
        }
    }

    private mutating func appendFlattened(path: String, _ value: JSON) {
        switch value {
        case .object, .array: appendContainer(path: path, value)
        default: output.append((key: path, value: value))
        }
    }

    /// Intercom's Rich Link metadata type: an object holding exactly `url` and `value`.
    static func isRichLink(_ value: JSON) -> Bool {
        guard case .object(let object) = value, object.count == 2 else { return false }
        return object["url"]?.stringValue != nil && object["value"] != nil
    }
}
