import SluiceSpec

/// Reads the few fields the mapping needs from Intercom's replies without building the whole
/// document: a search reply carries full contact objects (dozens of fields, kilobytes), and
/// turning every one of their strings into a `JSON` value was a quarter of an identify's cost.
///
/// It walks the JSON structure byte by byte, skipping values it does not need. Anything it does
/// not expect (an escaped id, a malformed reply) makes it return nil, and callers fall back to
/// `JSONParser`, so it can only be faster, never differently right.
struct IntercomReplyReader {
    /// The contacts of a `POST /contacts/search` reply: how many `data` holds, the first one's
    /// `id` and `external_id`, and `total_count` when present.
    struct SearchReply: Equatable {
        var count = 0
        var firstId: String?
        var firstExternalId: String?
        var totalCount: Int64?
    }

    static func search(_ body: [UInt8]) -> SearchReply? {
        body.withUnsafeBufferPointer { buffer in
            var reader = IntercomReplyReader(buffer)
            return reader.readSearchReply()
        }
    }

    /// The top-level `id` of a reply describing one object (a created contact, a company).
    static func id(_ body: [UInt8]) -> String? {
        body.withUnsafeBufferPointer { buffer in
            var reader = IntercomReplyReader(buffer)
            var id: String?
            let complete = reader.readObject { reader, key in
                guard reader.matches(key, "id") else { return reader.skipValue(depth: 1) }
                id = reader.readPlainString()
                return id != nil
            }
            reader.skipWhitespace()
            return complete && reader.index == buffer.count ? id : nil
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private static let maxDepth = 64

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func readSearchReply() -> SearchReply? {
        var reply = SearchReply()
        let complete = readObject { reader, key in
            if reader.matches(key, "data") {
                return reader.readContacts(into: &reply)
            } else if reader.matches(key, "total_count") {
                guard let total = reader.readInteger() else { return false }
                reply.totalCount = total
                return true
            }
            return reader.skipValue(depth: 1)
        }
        skipWhitespace()
        return complete && index == bytes.count ? reply : nil
    }

    private mutating func readContacts(into reply: inout SearchReply) -> Bool {
        readArray { reader in
            reply.count += 1
            guard reply.count == 1 else { return reader.skipValue(depth: 2) }
            return reader.readObject { reader, key in
                if reader.matches(key, "id") {
                    guard let id = reader.readPlainString() else { return false }
                    reply.firstId = id
                    return true
                } else if reader.matches(key, "external_id") {
                    if reader.readNull() { return true }
                    guard let externalId = reader.readPlainString() else { return false }
                    reply.firstExternalId = externalId
                    return true
                }
                return reader.skipValue(depth: 3)
            }
        }
    }

    // MARK: - Structure

    /// Calls `field` with each key's byte range, positioned at its value; `field` must consume it.
    private mutating func readObject(_ field: (inout IntercomReplyReader, Range<Int>) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        while true {
            skipWhitespace()
            guard let key = stringRange(), !key.escaped else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard field(&self, key.range) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }

    private mutating func readArray(_ element: (inout IntercomReplyReader) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "[")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return true }
        while true {
            skipWhitespace()
            guard element(&self) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "]"))
        }
    }

    private mutating func skipValue(depth: Int) -> Bool {
        guard depth < Self.maxDepth, index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "{"): return readObject { reader, _ in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): return readArray { reader in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): return stringRange() != nil
        default:
            // Numbers, true, false, null: the bytes up to the next delimiter.
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: return index > start
                default: index += 1
                }
            }
            return false
        }
    }

    // MARK: - Scalars

    /// The content range of the string at the cursor, and whether it holds escapes.
    private mutating func stringRange() -> (range: Range<Int>, escaped: Bool)? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var escaped = false
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return (start..<(index - 1), escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                index += 2
            case 0..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    /// An ASCII string without escapes, as Intercom's ids are; anything else returns nil and
    /// sends the caller to the full parser, which validates UTF-8.
    private mutating func readPlainString() -> String? {
        guard let string = stringRange(), !string.escaped else { return nil }
        let content = UnsafeBufferPointer(rebasing: bytes[string.range])
        guard content.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(decoding: content, as: UTF8.self)
    }

    private mutating func readInteger() -> Int64? {
        var value: Int64 = 0
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10, index - start < 18 {
            value = value * 10 + Int64(bytes[index] &- UInt8(ascii: "0"))
            index += 1
        }
        return index > start ? value : nil
    }

    private mutating func readNull() -> Bool {
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
              bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    private func matches(_ key: Range<Int>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for offset in 0..<key.count where bytes[key.lowerBound + offset] != expected[offset] { return false }
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
