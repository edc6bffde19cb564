import SluiceSpec

/// Masks a request's secrets wherever they appear in text: raw, percent-encoded (query strings,
/// forms) or JSON-escaped (bodies). Built once per request, so each secret's encoded forms are
/// computed once; text that holds none of them, which is nearly all text, costs one byte scan
/// and comes back as it was.
public struct SecretMasker: Sendable {
    private struct Pattern: Sendable {
        let needle: [UInt8]
        let replacement: String
    }

    private let patterns: [Pattern]

    public init(_ secrets: [Secret]) {
        var patterns: [Pattern] = []
        for secret in secrets where !secret.isEmpty {
            let raw = secret.reveal()
            var forms = [raw]
            // Most keys are letters and digits, which neither encoding changes.
            if !raw.utf8.allSatisfy(URLEncoding.isUnreserved) {
                let encoded = URLEncoding.component(raw)
                if encoded != raw { forms.append(encoded) }
                let escaped = String(JSONWriter.string(.string(raw)).dropFirst().dropLast())
                if escaped != raw, !forms.contains(escaped) { forms.append(escaped) }
            }
            patterns += forms.map { Pattern(needle: Array($0.utf8), replacement: secret.masked) }
        }
        self.patterns = patterns
    }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether `text` holds `needle` (lowercase ASCII), ignoring ASCII case.
    public static func containsIgnoringASCIICase(_ needle: String, in text: String) -> Bool {
        let needle = Array(needle.utf8)
        var text = text
        return text.withUTF8 { haystack in firstIndex(of: needle, in: haystack, from: 0, ignoringASCIICase: true) != nil }
    }

    public func mask(_ text: String) -> String {
        var result = text
        for pattern in patterns where Self.occurs(pattern.needle, in: result) {
            result = Self.replace(pattern.needle, with: pattern.replacement, in: result)
        }
        return result
    }

    public func mask(_ json: JSON) -> JSON {
        guard !patterns.isEmpty else { return json }
        switch json {
        case .string(let text): return .string(mask(text))
        case .array(let items): return .array(items.map { mask($0) })
        case .object(let object): return .object(JSONObject(object.entries.map { (key: $0.key, value: mask($0.value)) }))
        default: return json
        }
    }

    static func occurs(_ needle: [UInt8], in text: String) -> Bool {
        var text = text
        return text.withUTF8 { haystack in firstIndex(of: needle, in: haystack, from: 0) != nil }
    }

    static func replace(_ needle: [UInt8], with replacement: String, in text: String) -> String {
        var text = text
        return text.withUTF8 { haystack in
            var out: [UInt8] = []
            out.reserveCapacity(haystack.count)
            var position = 0
            while let found = firstIndex(of: needle, in: haystack, from: position) {
                out += haystack[position..<found]
                out += replacement.utf8
                position = found + needle.count
            }
            out += haystack[position...]
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// With `ignoringASCIICase`, `needle` must be lowercase; only A–Z in the haystack are folded.
    private static func firstIndex(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int,
                                   ignoringASCIICase: Bool = false) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        @inline(__always) func byte(_ at: Int) -> UInt8 {
            let value = haystack[at]
            return ignoringASCIICase && value >= 0x41 && value <= 0x5A ? value | 0x20 : value
        }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if byte(index) == first {
                var matched = true
                for offset in 1..<needle.count where byte(index + offset) != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}
