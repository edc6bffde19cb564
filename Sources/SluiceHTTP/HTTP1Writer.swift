import NIOCore

/// Why a message cannot be written. Names the header, never its value.
public enum HTTP1WriteError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidMethod
    case invalidTarget
    case invalidHeaderName(String)
    case invalidHeaderValue(name: String)

    public var description: String {
        switch self {
        case .invalidMethod: return "the method is not an HTTP token"
        case .invalidTarget: return "the request target contains spaces or control characters"
        case .invalidHeaderName(let name): return "the header name \"\(HTTP1Syntax.printable(name))\" is not an HTTP token"
        case .invalidHeaderValue(let name): return "the value of header \(HTTP1Syntax.printable(name)) contains a line break or control character"
        }
    }
}

/// Writes a whole HTTP/1.1 message into one buffer, so it costs one pass through the channel
/// pipeline and one `write` system call. Every name and value is checked on the way: a line break
/// in a value would let it inject headers or a second request.
public enum HTTP1Writer {
    public static func request(method: String, target: String, headers: [(name: String, value: String)],
                               body: [UInt8]?, into buffer: inout ByteBuffer) throws(HTTP1WriteError) {
        guard !method.isEmpty, method.utf8.allSatisfy(HTTP1Syntax.isTokenByte) else { throw .invalidMethod }
        guard !target.isEmpty, target.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else { throw .invalidTarget }
        buffer.writeString(method)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(target)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        try writeHeaders(headers, into: &buffer)
        if let body { buffer.writeBytes(body) }
    }

    public static func response(status: Int, reason: String, headers: [(name: String, value: String)],
                                body: [UInt8], includeBody: Bool = true, into buffer: inout ByteBuffer) throws(HTTP1WriteError) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(reason.utf8.allSatisfy(HTTP1Syntax.isFieldValueByte) ? reason : "")
        buffer.writeStaticString("\r\n")
        try writeHeaders(headers, into: &buffer)
        if includeBody { buffer.writeBytes(body) }
    }

    private static func writeHeaders(_ headers: [(name: String, value: String)], into buffer: inout ByteBuffer) throws(HTTP1WriteError) {
        for header in headers {
            var name = header.name, value = header.value
            // Checked and copied from the strings' contiguous UTF-8, without iterating views.
            let nameIsToken = name.withUTF8 { bytes in
                guard !bytes.isEmpty, bytes.allSatisfy(HTTP1Syntax.isTokenByte) else { return false }
                buffer.writeBytes(bytes)
                return true
            }
            guard nameIsToken else { throw .invalidHeaderName(header.name) }
            buffer.writeStaticString(": ")
            let valueIsClean = value.withUTF8 { bytes in
                guard bytes.allSatisfy(HTTP1Syntax.isFieldValueByte) else { return false }
                buffer.writeBytes(bytes)
                return true
            }
            guard valueIsClean else { throw .invalidHeaderValue(name: header.name) }
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}

/// The byte classes of RFC 9110 §5.6 and small helpers over header text.
public enum HTTP1Syntax {
    @inline(__always)
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls.
    @inline(__always)
    public static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }

    /// ASCII case-insensitive name comparison; `lowercase` must already be lowercase.
    public static func sameName(_ name: String, _ lowercase: StaticString) -> Bool {
        guard name.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        var utf8 = name.utf8.makeIterator()
        for byte in expected {
            guard let next = utf8.next() else { return false }
            if next != byte, !(next >= 65 && next <= 90 && next + 32 == byte) { return false }
        }
        return utf8.next() == nil
    }

    /// Whether a comma-separated header value lists `token` (ASCII case-insensitive).
    public static func listContains(_ value: String, _ token: String) -> Bool {
        value.utf8.split(separator: UInt8(ascii: ",")).contains { element in
            let trimmed = trimmedBytes(element)
            return trimmed.count == token.utf8.count && zip(trimmed, token.utf8).allSatisfy { lower($0) == lower($1) }
        }
    }

    static func contentLength(_ value: String) -> Int? {
        // A list of equal values (`5, 5`) is allowed by RFC 9110 §8.6.
        var result: Int?
        for element in value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let digits = trimmedBytes(element)
            guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let length = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            if let result, result != length { return nil }
            result = length
        }
        return result
    }

    static func trimmedASCII(_ text: Substring) -> String {
        String(decoding: trimmedBytes(text.utf8), as: UTF8.self)
    }

    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(64).map { $0.value < 32 || $0.value == 127 ? "?" : Character($0) })
    }

    private static func trimmedBytes<C: BidirectionalCollection>(_ bytes: C) -> C.SubSequence where C.Element == UInt8 {
        let start = bytes.firstIndex { $0 != 32 && $0 != 9 } ?? bytes.endIndex
        let end = bytes[start...].lastIndex { $0 != 32 && $0 != 9 }.map { bytes.index(after: $0) } ?? start
        return bytes[start..<end]
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
}
