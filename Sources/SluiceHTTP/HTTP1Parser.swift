import NIOCore

/// Why bytes on a connection are not a valid HTTP/1.1 message. The text never quotes header
/// values, which may carry credentials.
public enum HTTP1ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedStartLine
    case unsupportedVersion
    case malformedHeader
    case headTooLarge(Int)
    case bodyTooLarge(Int)
    case invalidContentLength
    /// Both `Transfer-Encoding` and `Content-Length` on a request: a smuggling vector, refused.
    case conflictingFraming
    case unsupportedTransferEncoding
    case malformedChunk
    case unexpectedUpgrade

    public var description: String {
        switch self {
        case .malformedStartLine: return "the message's first line is not valid HTTP/1.1"
        case .unsupportedVersion: return "only HTTP/1.0 and HTTP/1.1 are spoken here"
        case .malformedHeader: return "a header line is not `name: value`"
        case .headTooLarge(let limit): return "the header section is larger than \(limit) bytes"
        case .bodyTooLarge(let limit): return "the body is larger than \(limit) bytes"
        case .invalidContentLength: return "Content-Length is not one non-negative number"
        case .conflictingFraming: return "the request has both Transfer-Encoding and Content-Length"
        case .unsupportedTransferEncoding: return "the request's Transfer-Encoding does not end in chunked"
        case .malformedChunk: return "the chunked body is malformed"
        case .unexpectedUpgrade: return "the server switched protocols, which was not asked for"
        }
    }
}

/// The first line of a request or a response.
public enum HTTP1StartLine: Equatable, Sendable {
    case request(method: String, target: String)
    case response(status: Int)
}

/// One complete message: start line, headers in arrival order (names as sent, or lowercased
/// when the parser was asked to), and the body with any chunked framing removed.
public struct HTTP1Message: Sendable {
    public var startLine: HTTP1StartLine
    public var isHTTP11: Bool
    public var headers: [(name: String, value: String)]
    public var body: ByteBuffer
    /// Whether the connection may carry another message after this one.
    public var keepAlive: Bool
    /// A request that asked for `100 Continue` before sending its body.
    public var expectsContinue: Bool
    /// A request whose body went over the limit: it was read to its end and dropped, so the
    /// connection stays in step and the server can answer 413.
    public var bodyTooLarge = false

    public var status: Int {
        if case .response(let status) = startLine { return status }
        return 0
    }
}

/// An incremental HTTP/1.1 parser for one connection, fed whatever bytes arrive; it replaces
/// NIO's decoder, header types and pipeline handlers on the hot path, where they cost more than
/// the engine's own work per delivery. Framing follows RFC 9112 §6.3.
public struct HTTP1Parser: Sendable {
    public enum Kind: Sendable {
        /// Parses requests; header names are lowercased.
        case request
        /// Parses responses; names are kept as sent.
        case response
    }

    public struct Limits: Sendable {
        public var maxHeadBytes = 80 * 1024
        public var maxBodyBytes = 4 << 20
        public init(maxHeadBytes: Int = 80 * 1024, maxBodyBytes: Int = 4 << 20) {
            self.maxHeadBytes = maxHeadBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    private enum Framing {
        case length(Int)
        case chunked
        case untilClose
    }

    private enum State {
        case head
        case body(HTTP1Message, Framing)
        case chunkSize(HTTP1Message)
        case chunkData(HTTP1Message, remaining: Int)
        case chunkDataEnd(HTTP1Message)
        case trailers(HTTP1Message)
    }

    public let kind: Kind
    public let limits: Limits
    private var buffer: ByteBuffer?
    private var state = State.head
    /// How far the current head has been searched for its end, so a head arriving in many
    /// pieces is scanned once.
    private var scanned = 0
    /// Methods of the requests awaiting responses (response parsing: HEAD has no body).
    private var headRequests: [Bool] = []
    private var headRequestsStart = 0
    /// Set once the head of a request with `Expect: 100-continue` is parsed and its body is due.
    public private(set) var awaitingContinueBody = false

    public init(kind: Kind, limits: Limits = Limits()) {
        self.kind = kind
        self.limits = limits
    }

    /// Response parsing: the next response answers a request of this method.
    public mutating func expectResponse(toHEAD isHEAD: Bool) {
        headRequests.append(isHEAD)
    }

    /// Adds bytes read from the connection.
    public mutating func feed(_ bytes: inout ByteBuffer) {
        if buffer == nil || buffer!.readableBytes == 0 {
            buffer = bytes
        } else {
            buffer!.writeBuffer(&bytes)
        }
    }

    /// Bytes fed but not yet part of a complete message.
    public var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    /// Whether a message has started but not finished.
    public var isInsideMessage: Bool {
        if case .head = state { return bufferedBytes > 0 }
        return true
    }

    /// The next complete message, or nil until more bytes arrive.
    public mutating func next() throws(HTTP1ParseError) -> HTTP1Message? {
        while true {
            switch state {
            case .head:
                guard let message = try parseHead() else { return nil }
                if message.expectsContinue { awaitingContinueBody = true }
                switch try framing(of: message) {
                case nil:
                    return finished(message)
                case .length(0):
                    return finished(message)
                case .chunked:
                    state = .chunkSize(message)
                case let framing?:
                    state = .body(message, framing)
                }
            case .body(var message, .length(let remaining)):
                guard var bytes = buffer, bytes.readableBytes > 0 else { return nil }
                let take = min(remaining, bytes.readableBytes)
                var slice = bytes.readSlice(length: take)!
                buffer = bytes
                try append(&slice, to: &message)
                if remaining - take == 0 { return finished(message) }
                state = .body(message, .length(remaining - take))
            case .body(var message, .untilClose):
                guard var bytes = buffer, bytes.readableBytes > 0 else { return nil }
                try append(&bytes, to: &message)
                buffer = bytes
                state = .body(message, .untilClose)
                return nil
            case .body(_, .chunked):
                preconditionFailure("chunked bodies use the chunk states")
            case .chunkSize(let message):
                guard let line = try readLine(limit: 1_024, error: .malformedChunk) else { return nil }
                let size = try Self.chunkSize(line)
                if size == 0 {
                    state = .trailers(message)
                } else {
                    state = .chunkData(message, remaining: size)
                }
            case .chunkData(var message, let remaining):
                guard var bytes = buffer, bytes.readableBytes > 0 else { return nil }
                let take = min(remaining, bytes.readableBytes)
                var slice = bytes.readSlice(length: take)!
                buffer = bytes
                try append(&slice, to: &message)
                state = remaining - take == 0 ? .chunkDataEnd(message) : .chunkData(message, remaining: remaining - take)
            case .chunkDataEnd(let message):
                guard let line = try readLine(limit: 2, error: .malformedChunk) else { return nil }
                guard line.isEmpty else { throw .malformedChunk }
                state = .chunkSize(message)
            case .trailers(let message):
                // Trailer fields are read and dropped: nothing here needs them.
                guard let line = try readLine(limit: limits.maxHeadBytes, error: .headTooLarge(limits.maxHeadBytes)) else { return nil }
                if line.isEmpty { return finished(message) }
            }
        }
    }

    /// The connection closed: a body delimited by the close is complete; anything else
    /// in progress is cut short.
    public mutating func finishAtClose() -> HTTP1Message? {
        if case .body(let message, .untilClose) = state {
            state = .head
            return message
        }
        return nil
    }

    /// Responses over the limit fail at once (the connection is closed anyway); requests over
    /// it are read to their end and flagged.
    private func append(_ bytes: inout ByteBuffer, to message: inout HTTP1Message) throws(HTTP1ParseError) {
        if message.bodyTooLarge {
            bytes.moveReaderIndex(forwardBy: bytes.readableBytes)
            return
        }
        if message.body.readableBytes + bytes.readableBytes > limits.maxBodyBytes {
            if kind == .response { throw .bodyTooLarge(limits.maxBodyBytes) }
            message.bodyTooLarge = true
            message.body = ByteBuffer()
            bytes.moveReaderIndex(forwardBy: bytes.readableBytes)
            return
        }
        if message.body.readableBytes == 0, message.body.capacity == 0 {
            message.body = bytes
            bytes.moveReaderIndex(forwardBy: bytes.readableBytes)
        } else {
            message.body.writeBuffer(&bytes)
        }
    }

    private mutating func finished(_ message: HTTP1Message) -> HTTP1Message {
        state = .head
        awaitingContinueBody = false
        return message
    }

    // MARK: Head

    private mutating func parseHead() throws(HTTP1ParseError) -> HTTP1Message? {
        while true {
            guard var bytes = buffer, bytes.readableBytes > 0 else { return nil }
            // Blank lines before a message are ignored (RFC 9112 §2.2).
            if scanned == 0, let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self), first == 13 || first == 10 {
                bytes.moveReaderIndex(forwardBy: 1)
                buffer = bytes
                continue
            }
            guard let headLength = findHeadEnd(in: bytes) else {
                if bytes.readableBytes > limits.maxHeadBytes { throw .headTooLarge(limits.maxHeadBytes) }
                return nil
            }
            scanned = 0
            if headLength > limits.maxHeadBytes { throw .headTooLarge(limits.maxHeadBytes) }
            let head = bytes.readSlice(length: headLength)!
            buffer = bytes
            guard let message = try parse(head: head) else { continue }  // an interim 1xx response
            return message
        }
    }

    /// Length of the head including its blank line, once the blank line has arrived.
    private mutating func findHeadEnd(in bytes: ByteBuffer) -> Int? {
        bytes.withUnsafeReadableBytes { raw -> Int? in
            var index = max(0, scanned - 3)
            while index < raw.count {
                if raw[index] == 10 {
                    if index + 1 < raw.count, raw[index + 1] == 10 { return index + 2 }
                    if index + 2 < raw.count, raw[index + 1] == 13, raw[index + 2] == 10 { return index + 3 }
                }
                index += 1
            }
            scanned = raw.count
            return nil
        }
    }

    private mutating func parse(head: ByteBuffer) throws(HTTP1ParseError) -> HTTP1Message? {
        let lowercaseNames = kind == .request
        let parsed: Result<(HTTP1StartLine, Bool, [(name: String, value: String)]), HTTP1ParseError> = head.withUnsafeReadableBytes { raw in
            var lines = LineCursor(raw)
            guard let first = lines.next() else { return .failure(.malformedStartLine) }
            let startLine: HTTP1StartLine, isHTTP11: Bool
            switch kind {
            case .request:
                guard let parsed = Self.requestLine(raw, first) else { return .failure(.malformedStartLine) }
                guard let version = Self.version(raw, parsed.version) else { return .failure(.unsupportedVersion) }
                startLine = .request(method: parsed.method, target: parsed.target)
                isHTTP11 = version
            case .response:
                guard let parsed = Self.statusLine(raw, first) else { return .failure(.malformedStartLine) }
                guard let version = Self.version(raw, parsed.version) else { return .failure(.unsupportedVersion) }
                startLine = .response(status: parsed.status)
                isHTTP11 = version
            }
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(12)
            while let line = lines.next(), !line.isEmpty {
                if raw[line.lowerBound] == 32 || raw[line.lowerBound] == 9 {
                    // Obsolete line folding: refused in requests, joined with a space in responses (RFC 9112 §5.2).
                    guard !lowercaseNames, !headers.isEmpty else { return .failure(.malformedHeader) }
                    headers[headers.count - 1].value += " " + Self.text(raw, Self.trimmed(raw, line))
                    continue
                }
                guard let colon = raw[line].firstIndex(of: 58), colon > line.lowerBound else { return .failure(.malformedHeader) }
                let nameRange = line.lowerBound..<colon
                guard raw[nameRange].allSatisfy(HTTP1Syntax.isTokenByte) else { return .failure(.malformedHeader) }
                let valueRange = Self.trimmed(raw, (colon + 1)..<line.upperBound)
                guard raw[valueRange].allSatisfy(HTTP1Syntax.isFieldValueByte) else { return .failure(.malformedHeader) }
                let name = lowercaseNames ? Self.lowercasedText(raw, nameRange) : Self.text(raw, nameRange)
                headers.append((name, Self.text(raw, valueRange)))
            }
            return .success((startLine, isHTTP11, headers))
        }
        let (startLine, isHTTP11, headers) = try parsed.get()
        var isHEADRequest = false
        if case .response(let status) = startLine {
            if status == 101 { throw .unexpectedUpgrade }
            if status < 200 { return nil }
            if headRequestsStart < headRequests.count {
                isHEADRequest = headRequests[headRequestsStart]
                headRequestsStart += 1
                if headRequestsStart == headRequests.count { headRequests.removeAll(keepingCapacity: true); headRequestsStart = 0 }
            }
        }
        var keepAlive = isHTTP11
        var expectsContinue = false
        for header in headers {
            if HTTP1Syntax.sameName(header.name, "connection") {
                if HTTP1Syntax.listContains(header.value, "close") { keepAlive = false }
                if HTTP1Syntax.listContains(header.value, "keep-alive"), !isHTTP11 { keepAlive = true }
            } else if kind == .request, header.name == "expect", HTTP1Syntax.listContains(header.value, "100-continue") {
                expectsContinue = isHTTP11
            }
        }
        respondingToHEAD = isHEADRequest
        return HTTP1Message(startLine: startLine, isHTTP11: isHTTP11, headers: headers, body: ByteBuffer(),
                            keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    private var respondingToHEAD = false

    private func framing(of message: HTTP1Message) throws(HTTP1ParseError) -> Framing? {
        if case .response(let status) = message.startLine, respondingToHEAD || status == 204 || status == 304 { return nil }
        var transferEncoding: String?
        var contentLength: Int?
        for header in message.headers {
            if HTTP1Syntax.sameName(header.name, "transfer-encoding") {
                transferEncoding = transferEncoding.map { $0 + "," + header.value } ?? header.value
            } else if HTTP1Syntax.sameName(header.name, "content-length") {
                guard let length = HTTP1Syntax.contentLength(header.value), contentLength == nil || contentLength == length else { throw .invalidContentLength }
                contentLength = length
            }
        }
        if let transferEncoding {
            let last = transferEncoding.split(separator: ",").last.map { HTTP1Syntax.trimmedASCII($0).lowercased() }
            switch kind {
            case .request:
                if contentLength != nil { throw .conflictingFraming }
                guard last == "chunked" else { throw .unsupportedTransferEncoding }
                return .chunked
            case .response:
                return last == "chunked" ? .chunked : .untilClose
            }
        }
        if let contentLength {
            if contentLength > limits.maxBodyBytes, kind == .response { throw .bodyTooLarge(limits.maxBodyBytes) }
            return .length(contentLength)
        }
        return kind == .request ? nil : .untilClose
    }

    // MARK: Lines

    private mutating func readLine(limit: Int, error: HTTP1ParseError) throws(HTTP1ParseError) -> [UInt8]? {
        guard var bytes = buffer else { return nil }
        let newline = bytes.withUnsafeReadableBytes { $0.firstIndex(of: 10) }
        guard let newline else {
            if bytes.readableBytes > limit + 1 { throw error }
            return nil
        }
        var line = bytes.readBytes(length: newline + 1)!
        buffer = bytes
        line.removeLast()
        if line.last == 13 { line.removeLast() }
        if line.count > limit { throw error }
        return line
    }

    private static func chunkSize(_ line: [UInt8]) throws(HTTP1ParseError) -> Int {
        var size = 0, digits = 0
        for byte in line {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw .malformedChunk }
                return size  // chunk extensions are ignored
            default: throw .malformedChunk
            }
            digits += 1
            guard digits <= 15 else { throw .malformedChunk }
            size = size * 16 + value
        }
        guard digits > 0 else { throw .malformedChunk }
        return size
    }

    // MARK: Start lines

    private static func requestLine(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) -> (method: String, target: String, version: Range<Int>)? {
        guard let firstSpace = raw[line].firstIndex(of: 32) else { return nil }
        guard let secondSpace = raw[(firstSpace + 1)..<line.upperBound].firstIndex(of: 32) else { return nil }
        let method = line.lowerBound..<firstSpace, target = (firstSpace + 1)..<secondSpace
        guard !method.isEmpty, raw[method].allSatisfy(HTTP1Syntax.isTokenByte),
              !target.isEmpty, raw[target].allSatisfy({ $0 > 32 && $0 != 127 })
        else { return nil }
        return (text(raw, method), text(raw, target), (secondSpace + 1)..<line.upperBound)
    }

    private static func statusLine(_ raw: UnsafeRawBufferPointer, _ line: Range<Int>) -> (version: Range<Int>, status: Int)? {
        guard let space = raw[line].firstIndex(of: 32), line.upperBound - space > 3 else { return nil }
        var status = 0
        for index in (space + 1)...(space + 3) {
            let byte = raw[index]
            guard byte >= 48, byte <= 57 else { return nil }
            status = status * 10 + Int(byte - 48)
        }
        guard space + 4 == line.upperBound || raw[space + 4] == 32, status >= 100 else { return nil }
        return (line.lowerBound..<space, status)
    }

    /// True for HTTP/1.1, false for HTTP/1.0, nil for anything else.
    private static func version(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool? {
        guard range.count == 8, raw[range].starts(with: "HTTP/1.".utf8) else { return nil }
        switch raw[range.upperBound - 1] {
        case UInt8(ascii: "1"): return true
        case UInt8(ascii: "0"): return false
        default: return nil
        }
    }

    // MARK: Bytes to text

    private static func trimmed(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, raw[lower] == 32 || raw[lower] == 9 { lower += 1 }
        while upper > lower, raw[upper - 1] == 32 || raw[upper - 1] == 9 { upper -= 1 }
        return lower..<upper
    }

    private static func text(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }

    private static func lowercasedText(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { out in
            for (offset, byte) in raw[range].enumerated() {
                out[offset] = byte >= 65 && byte <= 90 ? byte + 32 : byte
            }
            return range.count
        }
    }
}

/// Lines of a head, each without its CRLF or LF.
private struct LineCursor {
    let raw: UnsafeRawBufferPointer
    var position = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func next() -> Range<Int>? {
        guard position < raw.count else { return nil }
        let start = position
        var end = start
        while end < raw.count, raw[end] != 10 { end += 1 }
        position = end + 1
        var lineEnd = end
        if lineEnd > start, raw[lineEnd - 1] == 13 { lineEnd -= 1 }
        return start..<lineEnd
    }
}
