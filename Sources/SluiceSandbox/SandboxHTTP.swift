import Foundation
import SluiceSpec

/// One request as a simulator sees it, independent of the HTTP server: the path below the
/// destination's prefix, the decoded query, headers by lowercase name, and the body.
public struct SandboxRequest: Sendable {
    public var method: String
    /// Below the destination prefix and still percent-encoded, e.g. `/v2/customers/12`.
    public var path: String
    public var query: [(name: String, value: String)]
    /// Lowercase names; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Where this destination is reached from the client's point of view, e.g.
    /// `http://127.0.0.1:8089/helpscout`; used for `Location` headers.
    public var baseURL: String

    public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [String: String] = [:],
                body: [UInt8] = [], baseURL: String = "") {
        self.init(method: method.uppercased(), path: path, query: query,
                  lowercasedHeaders: Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }),
                  body: body, baseURL: baseURL, uppercasingMethod: false)
    }

    /// From the server, whose parser already lowercased the names.
    init(method: String, path: String, query: [(name: String, value: String)], lowercasedHeaders: [String: String], body: [UInt8], baseURL: String,
         uppercasingMethod: Bool = true) {
        self.method = uppercasingMethod ? method.uppercased() : method
        self.path = path
        self.query = query
        self.headers = lowercasedHeaders
        self.body = body
        self.baseURL = baseURL
    }

    public func header(_ name: String) -> String? {
        headers[name.utf8.contains { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } ? name.lowercased() : name]
    }

    public func queryValue(_ name: String) -> String? { query.last(where: { $0.name == name })?.value }

    /// The body as JSON; nil when it is empty or not JSON.
    public var json: JSON? { body.isEmpty ? nil : try? JSONParser.parse(body) }

    var isWrite: Bool { method != "GET" && method != "HEAD" && method != "OPTIONS" }
}

/// What a simulator answers.
public struct SandboxResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ value: JSON, contentType: String = "application/json; charset=utf-8") -> SandboxResponse {
        SandboxResponse(status: status, headers: [("Content-Type", contentType)], body: JSONWriter.bytes(value))
    }

    public static func text(_ status: Int, _ text: String) -> SandboxResponse {
        SandboxResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    public static func empty(_ status: Int) -> SandboxResponse { SandboxResponse(status: status) }

    public func header(_ name: String) -> String? {
        headers.last(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame })?.value
    }

    public var json: JSON? { body.isEmpty ? nil : try? JSONParser.parse(body) }
    public var text: String { String(decoding: body, as: UTF8.self) }

    mutating func addHeaders(_ extra: [(name: String, value: String)]) {
        for header in extra where self.header(header.name) == nil { headers.append(header) }
    }
}

/// A method and path template such as `PUT /contacts/{id}`; the key stats are counted under.
public struct RouteKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let method: String
    public let template: String

    public init(_ method: String, _ template: String) {
        self.method = method
        self.template = template
    }

    public var description: String { method + " " + template }

    public static func < (lhs: RouteKey, rhs: RouteKey) -> Bool { lhs.description < rhs.description }

    /// Requests no route matched.
    static func unmatched(_ method: String) -> RouteKey { RouteKey(method, "(no route)") }
}

/// A route that matched, with its `{name}` parameters percent-decoded.
struct RouteMatch: Sendable {
    let key: RouteKey
    let parameters: [String: String]
    /// Whether the API counts the request as a write (Help Scout's write-burst window).
    let isWrite: Bool

    subscript(name: String) -> String { parameters[name] ?? "" }
}

/// Matches a request's method and path against templates, in the order given: literal routes
/// such as `/contacts/search` must come before `/contacts/{id}`.
struct RouteTable: Sendable {
    struct Route: Sendable {
        let key: RouteKey
        let segments: [Segment]
        let isWrite: Bool
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let routes: [Route]
    /// Zendesk accepts `/users/search` and `/users/search.json` alike.
    let optionalSuffix: String?

    init(_ routes: [(String, String)], optionalSuffix: String? = nil, reads: Set<RouteKey> = []) {
        self.optionalSuffix = optionalSuffix
        self.routes = routes.map { method, template in
            let key = RouteKey(method, template)
            let segments = Self.split(template).map { part -> Segment in
                let stripped = Self.strip(part, optionalSuffix)
                if stripped.hasPrefix("{"), stripped.hasSuffix("}") { return .parameter(String(stripped.dropFirst().dropLast())) }
                return .literal(stripped)
            }
            return Route(key: key, segments: segments, isWrite: method != "GET" && !reads.contains(key))
        }
    }

    func match(method: String, path: String) -> RouteMatch? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { part in
            Self.strip(part.utf8.contains(UInt8(ascii: "%")) ? PercentEncoding.decode(part) : String(part), optionalSuffix)
        }
        for route in routes where route.key.method == method && route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let literal) where literal == part: continue
                case .parameter(let name) where !part.isEmpty: parameters[name] = part
                default: matched = false
                }
                if !matched { break }
            }
            if matched { return RouteMatch(key: route.key, parameters: parameters, isWrite: route.isWrite) }
        }
        return nil
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func strip(_ part: String, _ suffix: String?) -> String {
        guard let suffix, part.hasSuffix(suffix), part.count > suffix.count else { return part }
        return String(part.dropLast(suffix.count))
    }
}

enum PercentEncoding {
    /// Decodes `%XX` escapes; with `plusAsSpace`, `+` too (form and query encoding).
    static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
               let high = Self.hexValue(utf8[index + 1]), let low = Self.hexValue(utf8[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
                continue
            }
            // A malformed escape stays as it was sent.
            bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// `application/x-www-form-urlencoded`, also the shape of a query string.
enum FormEncoding {
    static func decode<S: StringProtocol>(_ text: S) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentEncoding.decode(parts[0], plusAsSpace: true)
            let value = parts.count > 1 ? PercentEncoding.decode(parts[1], plusAsSpace: true) : ""
            return (name, value)
        }
    }
}

/// HTTP Basic credentials from an `Authorization` header.
struct BasicCredentials: Equatable {
    let user: String
    let password: String

    init?(authorization: String?) {
        guard let authorization, let space = authorization.firstIndex(of: " "),
              authorization[..<space].lowercased() == "basic",
              let data = Data(base64Encoded: String(authorization[authorization.index(after: space)...]).trimmingCharacters(in: .whitespaces)),
              let decoded = String(data: data, encoding: .utf8),
              let colon = decoded.firstIndex(of: ":")
        else { return nil }
        user = String(decoded[..<colon])
        password = String(decoded[decoded.index(after: colon)...])
    }
}

enum BearerToken {
    /// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive.
    static func from(_ authorization: String?) -> String? {
        guard let authorization, let space = authorization.utf8.firstIndex(of: UInt8(ascii: " ")),
              authorization.utf8[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        let token = authorization[authorization.index(after: space)...].trimmingASCIIWhitespace()
        return token.isEmpty ? nil : token
    }
}

/// Constant-time comparison, so a sandbox used in a shared environment does not leak how many
/// leading characters of a secret were right.
func secretsMatch(_ given: String, _ expected: String) -> Bool {
    var given = given, expected = expected
    return given.withUTF8 { a in
        expected.withUTF8 { b in
            var difference = UInt8(a.count == b.count ? 0 : 1)
            for index in 0..<max(a.count, b.count) {
                difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
            }
            return difference == 0
        }
    }
}

extension JSON {
    /// Integer value of a number or of digits in a string (ids arrive both ways).
    var integerValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int64(value)
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    /// A non-empty string.
    var nonEmptyString: String? {
        guard case .string(let text) = self, !text.isEmpty else { return nil }
        return text
    }
}

enum EmailAddress {
    /// Something@something.tld without spaces: what the APIs' own format checks catch.
    static func isPlausible(_ text: String) -> Bool {
        guard let at = text.firstIndex(of: "@"), at != text.startIndex else { return false }
        let domain = text[text.index(after: at)...]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !text.contains(where: \.isWhitespace)
    }
}

enum ISO8601 {
    static func string(_ date: Date) -> String { Timestamp.iso8601(date) }

    /// Zendesk and Help Scout write times without fractions: `2024-01-02T03:04:05Z`.
    static func seconds(_ date: Date) -> String {
        let withMillis = Timestamp.iso8601(date)  // 2024-01-02T03:04:05.000Z
        guard withMillis.hasSuffix("Z"), let dot = withMillis.lastIndex(of: ".") else { return withMillis }
        return String(withMillis[..<dot]) + "Z"
    }
}
