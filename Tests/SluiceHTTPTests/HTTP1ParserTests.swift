import NIOCore
import SluiceHTTP
import Testing

/// The lean HTTP/1.1 parser: framing by RFC 9112 §6.3, bytes arriving in any split, and a
/// precise error for each malformed input.
@Suite struct HTTP1ParserTests {
    /// Feeds `text` split at every position given by `cuts`, collecting complete messages.
    static func parse(_ kind: HTTP1Parser.Kind, _ text: String, pieces: Int = 1, maxBodyBytes: Int = 1 << 20,
                      headRequests: [Bool] = []) throws(HTTP1ParseError) -> (messages: [HTTP1Message], parser: HTTP1Parser) {
        var parser = HTTP1Parser(kind: kind, limits: HTTP1Parser.Limits(maxBodyBytes: maxBodyBytes))
        for isHEAD in headRequests { parser.expectResponse(toHEAD: isHEAD) }
        let bytes = Array(text.utf8)
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        var messages: [HTTP1Message] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            var buffer = ByteBuffer(bytes: bytes[start..<min(bytes.count, start + size)])
            parser.feed(&buffer)
            while let message = try parser.next() { messages.append(message) }
        }
        return (messages, parser)
    }

    static func body(_ message: HTTP1Message) -> String { String(buffer: message.body) }

    @Test func aRequestWithContentLengthInAnySplit() throws {
        let text = "POST /intercom/events?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8089\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":12345}"
        for pieces in [1, 2, 3, 7, text.utf8.count] {
            let (messages, parser) = try Self.parse(.request, text, pieces: pieces)
            #expect(messages.count == 1, "split into \(pieces)")
            let message = try #require(messages.first)
            #expect(message.startLine == .request(method: "POST", target: "/intercom/events?x=1"))
            #expect(message.headers.map(\.name) == ["host", "content-type", "content-length"], "request names are lowercased")
            #expect(message.headers[0].value == "127.0.0.1:8089")
            #expect(Self.body(message) == "{\"a\":12345}")
            #expect(message.keepAlive && message.isHTTP11)
            #expect(parser.bufferedBytes == 0 && !parser.isInsideMessage)
        }
    }

    @Test func pipelinedRequestsComeOutInOrder() throws {
        let text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nConnection: close\r\n\r\n"
        let (messages, _) = try Self.parse(.request, text, pieces: 5)
        #expect(messages.map(\.startLine) == [.request(method: "GET", target: "/a"), .request(method: "POST", target: "/b"), .request(method: "GET", target: "/c")])
        #expect(messages.map(Self.body) == ["", "hi", ""])
        #expect(messages.map(\.keepAlive) == [true, true, false])
    }

    @Test func chunkedBodiesWithExtensionsAndTrailers() throws {
        let text = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        for pieces in [1, 4, text.utf8.count] {
            let (messages, parser) = try Self.parse(.request, text, pieces: pieces)
            #expect(messages.count == 1)
            #expect(messages.first.map(Self.body) == "hello world")
            #expect(parser.bufferedBytes == 0)
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() throws {
        let (plain, _) = try Self.parse(.request, "GET / HTTP/1.0\r\n\r\n")
        #expect(plain.first?.keepAlive == false && plain.first?.isHTTP11 == false)
        let (kept, _) = try Self.parse(.request, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(kept.first?.keepAlive == true)
        let (closed, _) = try Self.parse(.request, "GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n")
        #expect(closed.first?.keepAlive == false)
    }

    @Test func bareLineFeedsAndLeadingBlankLinesAreAccepted() throws {
        let (messages, _) = try Self.parse(.request, "\r\n\r\nGET /a HTTP/1.1\nHost: x\n\n")
        #expect(messages.first?.startLine == .request(method: "GET", target: "/a"))
        #expect(messages.first?.headers.first?.value == "x")
    }

    @Test func expectContinueIsReportedUntilTheBodyArrives() throws {
        var parser = HTTP1Parser(kind: .request)
        var head = ByteBuffer(string: "POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        parser.feed(&head)
        #expect(try parser.next() == nil)
        #expect(parser.awaitingContinueBody)
        var body = ByteBuffer(string: "abc")
        parser.feed(&body)
        let next = try parser.next()
        let message = try #require(next)
        #expect(String(buffer: message.body) == "abc" && message.expectsContinue)
        #expect(!parser.awaitingContinueBody)
    }

    @Test func anOversizedRequestBodyIsReadToItsEndAndFlagged() throws {
        let text = "POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789GET /next HTTP/1.1\r\n\r\n"
        let (messages, _) = try Self.parse(.request, text, pieces: 3, maxBodyBytes: 4)
        #expect(messages.count == 2, "the connection stays in step after the oversized body")
        #expect(messages.first?.bodyTooLarge == true && messages.first?.body.readableBytes == 0)
        #expect(messages.last?.startLine == .request(method: "GET", target: "/next"))
        let (chunked, _) = try Self.parse(.request, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", maxBodyBytes: 4)
        #expect(chunked.first?.bodyTooLarge == true)
    }

    @Test(arguments: [
        ("GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", HTTP1ParseError.conflictingFraming),
        ("GET /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferEncoding),
        ("GET /x HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n", .invalidContentLength),
        ("GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("GET /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .invalidContentLength),
        ("GET /x HTTP/2.0\r\n\r\n", .unsupportedVersion),
        ("GET /x\r\n\r\n", .malformedStartLine),
        ("G(T /x HTTP/1.1\r\n\r\n", .malformedStartLine),
        ("GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n", .malformedHeader),
        ("GET /x HTTP/1.1\r\nName : v\r\n\r\n", .malformedHeader),
        ("GET /x HTTP/1.1\r\nNoColon\r\n\r\n", .malformedHeader),
        ("GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", .malformedHeader),
        ("GET /x HTTP/1.1\r\nA: b\u{0}c\r\n\r\n", .malformedHeader),
        ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
        ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .malformedChunk),
    ])
    func malformedRequestsNameTheirProblem(text: String, expected: HTTP1ParseError) {
        #expect(throws: expected) { _ = try Self.parse(.request, text) }
    }

    @Test func anEndlessHeadIsRefusedAtTheLimit() {
        var parser = HTTP1Parser(kind: .request, limits: HTTP1Parser.Limits(maxHeadBytes: 1_024))
        var bytes = ByteBuffer(string: "GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2_000))
        parser.feed(&bytes)
        #expect(throws: HTTP1ParseError.headTooLarge(1_024)) { _ = try parser.next() }
    }

    // MARK: Responses

    @Test func responsesKeepHeaderCaseAndSkipInterimOnes() throws {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 202 Accepted\r\nX-RateLimit-Remaining: 9\r\nContent-Length: 0\r\n\r\n"
        let (messages, _) = try Self.parse(.response, text, pieces: 4)
        #expect(messages.count == 1)
        #expect(messages.first?.status == 202)
        #expect(messages.first?.headers.first?.name == "X-RateLimit-Remaining")
    }

    @Test func chunkedResponsesAndFoldedHeaders() throws {
        let text = "HTTP/1.1 200 OK\r\nX-Long: a\r\n\tb\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n2\r\n:1\r\n1\r\n}\r\n0\r\n\r\n"
        let (messages, parser) = try Self.parse(.response, text, pieces: 6)
        #expect(messages.first.map(Self.body) == "{\"a\":1}")
        #expect(messages.first?.headers.first?.value == "a b")
        #expect(parser.bufferedBytes == 0)
    }

    @Test func aResponseWithoutLengthEndsWhenTheConnectionCloses() throws {
        let parsed = try Self.parse(.response, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        var parser = parsed.parser
        #expect(parsed.messages.isEmpty)
        let atClose = parser.finishAtClose()
        let message = try #require(atClose)
        #expect(String(buffer: message.body) == "all of it")
        #expect(parser.finishAtClose() == nil)
    }

    @Test func noBodyFor204And304AndHEAD() throws {
        let (messages, parser) = try Self.parse(.response, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                                                headRequests: [false, false, true])
        #expect(messages.map(\.status) == [204, 304, 200])
        #expect(messages.allSatisfy { $0.body.readableBytes == 0 })
        #expect(!parser.isInsideMessage)
    }

    @Test func responseErrors() {
        #expect(throws: HTTP1ParseError.bodyTooLarge(4)) { _ = try Self.parse(.response, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", maxBodyBytes: 4) }
        #expect(throws: HTTP1ParseError.bodyTooLarge(4)) {
            _ = try Self.parse(.response, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n", maxBodyBytes: 4)
        }
        #expect(throws: HTTP1ParseError.unexpectedUpgrade) { _ = try Self.parse(.response, "HTTP/1.1 101 Switching Protocols\r\n\r\n") }
        #expect(throws: HTTP1ParseError.malformedStartLine) { _ = try Self.parse(.response, "HTTP/1.1 2x0 OK\r\n\r\n") }
        #expect(throws: HTTP1ParseError.malformedStartLine) { _ = try Self.parse(.response, "HTTP/1.1 099\r\n\r\n") }
    }

    @Test func aStatusLineWithoutReasonIsAccepted() throws {
        let (messages, _) = try Self.parse(.response, "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n")
        #expect(messages.first?.status == 404)
    }
}

/// The writer: one buffer per message, and no way to smuggle a line break into it.
@Suite struct HTTP1WriterTests {
    @Test func aRequestIsWrittenExactly() throws {
        var buffer = ByteBuffer()
        try HTTP1Writer.request(method: "POST", target: "/v1/x?y=1", headers: [("Host", "api.example.com"), ("Content-Length", "2")],
                                body: Array("{}".utf8), into: &buffer)
        #expect(String(buffer: buffer) == "POST /v1/x?y=1 HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test func aResponseIsWrittenExactlyAndHEADOmitsTheBody() throws {
        var buffer = ByteBuffer()
        try HTTP1Writer.response(status: 202, reason: "Accepted", headers: [("Content-Length", "2")], body: Array("ok".utf8), into: &buffer)
        #expect(String(buffer: buffer) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok")
        buffer.clear()
        try HTTP1Writer.response(status: 200, reason: "OK", headers: [("Content-Length", "2")], body: Array("ok".utf8), includeBody: false, into: &buffer)
        #expect(String(buffer: buffer) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func injectedLineBreaksAreRefusedWithoutQuotingTheValue() {
        var buffer = ByteBuffer()
        #expect(throws: HTTP1WriteError.invalidHeaderValue(name: "Authorization")) {
            try HTTP1Writer.request(method: "GET", target: "/", headers: [("Authorization", "Bearer secret\r\nX-Evil: 1")], body: nil, into: &buffer)
        }
        #expect(!String(describing: HTTP1WriteError.invalidHeaderValue(name: "Authorization")).contains("secret"))
        #expect(throws: HTTP1WriteError.invalidHeaderName("X Evil")) {
            try HTTP1Writer.request(method: "GET", target: "/", headers: [("X Evil", "1")], body: nil, into: &buffer)
        }
        #expect(throws: HTTP1WriteError.invalidTarget) { try HTTP1Writer.request(method: "GET", target: "/a b", headers: [], body: nil, into: &buffer) }
        #expect(throws: HTTP1WriteError.invalidMethod) { try HTTP1Writer.request(method: "GE T", target: "/", headers: [], body: nil, into: &buffer) }
    }

    @Test func whatTheWriterWritesTheParserReadsBack() throws {
        var buffer = ByteBuffer()
        let body = Array("{\"event_name\":\"Order Completed\"}".utf8)
        try HTTP1Writer.request(method: "POST", target: "/events", headers: [("Host", "h"), ("Content-Length", String(body.count))], body: body, into: &buffer)
        var parser = HTTP1Parser(kind: .request)
        parser.feed(&buffer)
        let next = try parser.next()
        let message = try #require(next)
        #expect(message.startLine == .request(method: "POST", target: "/events"))
        #expect(Array(message.body.readableBytesView) == body)
    }

    @Test func headerHelpers() {
        #expect(HTTP1Syntax.sameName("Content-LENGTH", "content-length"))
        #expect(!HTTP1Syntax.sameName("Content-Lengthx", "content-length"))
        #expect(HTTP1Syntax.listContains("keep-alive, Close", "close"))
        #expect(!HTTP1Syntax.listContains("closed", "close"))
    }
}
