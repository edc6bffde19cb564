import Foundation
import SluiceSpec

public enum HTTPMethod: String, Sendable, Hashable {
    case GET, POST, PUT, PATCH, DELETE
}

/// Ordered, case-insensitive HTTP headers.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(name: String, value: String)]

    public init(_ entries: [(name: String, value: String)] = []) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, String)...) {
        entries = elements.map { (name: $0.0, value: $0.1) }
    }

    public subscript(name: String) -> String? {
        get { entries.first(where: { Self.sameName($0.name, name) })?.value }
        set {
            entries.removeAll(where: { Self.sameName($0.name, name) })
            if let newValue { entries.append((name: name, value: newValue)) }
        }
    }

    public mutating func add(_ name: String, _ value: String) { entries.append((name: name, value: value)) }

    /// Header names are ASCII; compare them without Foundation.
    public static func sameName(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            let lowerX = x >= 65 && x <= 90 ? x | 0x20 : x
            let lowerY = y >= 65 && y <= 90 ? y | 0x20 : y
            if lowerX != lowerY { return false }
        }
        return true
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { entries.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries { hasher.combine(entry.name); hasher.combine(entry.value) }
    }
}

/// A request body: JSON, or a form for OAuth token endpoints.
public enum HTTPBody: Sendable, Hashable {
    case json(JSON)
    case form([String: String])

    public var bytes: [UInt8] {
        switch self {
        case .json(let json): return JSONWriter.bytes(json)
        case .form(let fields):
            return Array(fields.sorted(by: { $0.key < $1.key })
                .map { "\(URLEncoding.component($0.key))=\(URLEncoding.component($0.value))" }
                .joined(separator: "&").utf8)
        }
    }

    public var contentType: String {
        switch self {
        case .json: return "application/json"
        case .form: return "application/x-www-form-urlencoded"
        }
    }
}

/// One HTTP exchange a mapping asks for. `secrets` lists every credential the request carries,
/// so `redacted()` can mask them wherever they appear (headers, query, form body).
public struct HTTPRequest: Sendable, Hashable {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: HTTPBody?
    public var secrets: [Secret]

    public init(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: HTTPBody? = nil, secrets: [Secret] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.secrets = secrets
        if let body, self.headers["Content-Type"] == nil { self.headers["Content-Type"] = body.contentType }
    }

    public var jsonBody: JSON? {
        if case .json(let json)? = body { return json }
        return nil
    }

    /// The path and query after the host, e.g. `/v2/customers?query=...`.
    public var pathAndQuery: String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(of: "/") else { return "/" }
        return String(afterScheme[slash...])
    }

    /// A copy safe to log, store or show: Authorization values and every secret masked.
    public func redacted() -> HTTPRequest { redacted(by: SecretMasker(secrets)) }

    public func redacted(by masker: SecretMasker) -> HTTPRequest {
        var copy = self
        copy.url = masker.mask(url)
        copy.headers = HTTPHeaders(maskedHeaders(by: masker))
        if case .form(let fields)? = body {
            copy.body = .form(fields.mapValues { masker.mask($0) })
        } else if case .json(let json)? = body, !masker.isEmpty {
            copy.body = .json(masker.mask(json))
        }
        copy.secrets = []
        return copy
    }

    /// The headers with Authorization's credential and every secret masked.
    public func maskedHeaders(by masker: SecretMasker) -> [(name: String, value: String)] {
        headers.map { entry in
            HTTPHeaders.sameName(entry.name, "Authorization")
                ? (name: entry.name, value: Self.maskedAuthorization(entry.value)) : (name: entry.name, value: masker.mask(entry.value))
        }
    }

    /// `Bearer ••••9c2e`: the scheme stays, the credential is masked.
    public static func maskedAuthorization(_ value: String) -> String {
        let scheme = value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        let token = value.dropFirst(scheme.count + 1)
        return scheme + " " + Secret(String(token)).masked
    }

    public static func mask(_ text: String, _ secrets: [Secret]) -> String {
        SecretMasker(secrets).mask(text)
    }
}

public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: HTTPHeaders = [:], json: JSON) {
        self.init(status: status, headers: headers, body: JSONWriter.bytes(json))
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
    public var json: JSON? { body.isEmpty ? nil : try? JSONParser.parse(body) }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

public enum URLEncoding {
    /// RFC 3986 unreserved: the bytes percent-encoding leaves alone (JSON escaping does too).
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    public static func component(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
