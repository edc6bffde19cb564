import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import SluiceSandbox
import Synchronization
import Testing

/// The sandbox's own HTTP server: what it does before any simulator sees a request.
@Suite struct SandboxServerTests {
    static func start(maxBodyBytes: Int = 4 << 20) async throws -> Sandbox {
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        var configuration = SandboxConfiguration(maxBodyBytes: maxBodyBytes)
        configuration.logger = logger
        return try await Sandbox.start(configuration: configuration)
    }

    @Test func aBodyOverTheLimitIs413AndNothingReachesTheSimulator() async throws {
        let sandbox = try await Self.start(maxBodyBytes: 1_024)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: sandbox.baseURL(for: .intercom) + "/events")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + sandbox.credentials.intercomAccessToken)
        request.body = .bytes(ByteBuffer(bytes: Array(repeating: UInt8(ascii: "x"), count: 4_096)))
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        #expect(response.status.code == 413)
        #expect(String(buffer: body).contains("larger than 1024 bytes"))
        #expect(sandbox.stats(for: .intercom).totalRequests == 0)
        try await client.shutdown()
        await sandbox.shutdown()
    }

    @Test func connectionCloseIsHonouredAndKeepAliveIsTheDefault() async throws {
        let sandbox = try await Self.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: sandbox.baseURL(for: .intercom) + "/contacts/nope")
        request.headers.add(name: "Authorization", value: "Bearer " + sandbox.credentials.intercomAccessToken)
        let kept = try await client.execute(request, timeout: .seconds(5))
        _ = try await kept.body.collect(upTo: 1 << 16)
        #expect(kept.status.code == 404)
        #expect(kept.headers.first(name: "Connection") == nil)
        #expect(kept.headers.first(name: "Content-Length") != nil)
        request.headers.add(name: "Connection", value: "close")
        let closed = try await client.execute(request, timeout: .seconds(5))
        _ = try await closed.body.collect(upTo: 1 << 16)
        #expect(closed.headers.first(name: "Connection")?.lowercased() == "close")
        try await client.shutdown()
        await sandbox.shutdown()
    }

    @Test func theRequestTargetSplitsIntoPathAndQuery() {
        #expect(SandboxHTTPHandler.split("/intercom/events?x=1&y=2") == ("/intercom/events", "x=1&y=2"))
        #expect(SandboxHTTPHandler.split("/intercom/events") == ("/intercom/events", nil))
    }

    /// Writes raw bytes to the sandbox and returns everything it sends back until it closes the
    /// connection or `quiet` passes without a byte.
    /// Sends `pieces` on one connection, `pause` apart; before a piece listed in `awaiting`, first
    /// waits (up to 10 s) for the text given there to arrive, as a client waiting for `100 Continue` does.
    static func raw(_ sandbox: Sandbox, _ pieces: [String], pause: Duration = .milliseconds(20), quiet: Duration = .milliseconds(400),
                    awaiting: [Int: String] = [:]) async throws -> String {
        let collector = RawCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: sandbox.port).get()
        for (index, piece) in pieces.enumerated() {
            if let expected = awaiting[index] {
                let deadline = ContinuousClock.now + .seconds(10)
                while !collector.text.contains(expected), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await channel.writeAndFlush(ByteBuffer(string: piece)).get()
            try await Task.sleep(for: pause)
        }
        var last = collector.count
        while true {
            try await Task.sleep(for: quiet)
            if collector.closed || collector.count == last { break }
            last = collector.count
        }
        try? await channel.close().get()
        return collector.text
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenOneWaits() async throws {
        let sandbox = try await Self.start()
        sandbox.setFaults(FaultSettings(latency: .milliseconds(100)), for: .intercom)
        let auth = "Authorization: Bearer " + sandbox.credentials.intercomAccessToken + "\r\n"
        let reply = try await Self.raw(sandbox, [
            "GET /intercom/contacts/one HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n" +
            "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /intercom/contacts/two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + "\r\n",
        ])
        // The first request waits out the added latency; the second (no destination, no faults) is
        // ready at once but must still be answered second.
        #expect(reply.components(separatedBy: "HTTP/1.1 404 Not Found").count == 4, "three answers: \(reply)")
        let notFound = reply.ranges(of: "User Not Found")
        let noDestination = try #require(reply.range(of: "no sandbox destination at /nowhere"))
        #expect(notFound.count == 2)
        #expect(notFound.first.map { $0.upperBound < noDestination.lowerBound } == true, "\(reply)")
        #expect(notFound.last.map { noDestination.upperBound < $0.lowerBound } == true, "\(reply)")
        #expect(reply.contains("Connection: close"))
        await sandbox.shutdown()
    }

    @Test func malformedRequestsGetTheStatusThatNamesTheProblemAndTheConnectionCloses() async throws {
        let sandbox = try await Self.start()
        for (request, status, words) in [
            ("GET /x HTTP/1.1\r\nBad Header: 1\r\n\r\n", "400", "header line"),
            ("GET /x HTTP/2.0\r\n\r\n", "505", "HTTP/1.0 and HTTP/1.1"),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "400", "both Transfer-Encoding and Content-Length"),
            ("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501", "does not end in chunked"),
        ] {
            let reply = try await Self.raw(sandbox, [request])
            #expect(reply.hasPrefix("HTTP/1.1 \(status) "), "\(request) → \(reply)")
            #expect(reply.contains(words) && reply.contains("Connection: close"), "\(reply)")
        }
        #expect(sandbox.stats(for: .intercom).totalRequests == 0)
        await sandbox.shutdown()
    }

    @Test func expectContinueGetsAnInterimAnswerAndChunkedBodiesArrive() async throws {
        let sandbox = try await Self.start()
        let auth = "Authorization: Bearer " + sandbox.credentials.intercomAccessToken + "\r\n"
        let body = #"{"role":"user","external_id":"c1","email":"c1@example.com"}"#
        let reply = try await Self.raw(sandbox, [
            "POST /intercom/contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n" + auth + "\r\n",
            String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n",
        ], awaiting: [1: "100 Continue"])  // a server may skip the interim answer once body bytes have arrived
        #expect(reply.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), "\(reply)")
        #expect(reply.contains(#""external_id":"c1""#))
        await sandbox.shutdown()
    }

    @Test func aHEADAnswerHasItsLengthButNoBody() async throws {
        let sandbox = try await Self.start()
        let reply = try await Self.raw(sandbox, ["HEAD /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(reply.hasPrefix("HTTP/1.1 404 "))
        #expect(reply.contains("Content-Length: "))
        #expect(reply.hasSuffix("\r\n\r\n"), "\(reply)")
        await sandbox.shutdown()
    }
}

/// Collects what a raw test connection receives.
final class RawCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let state = Mutex((bytes: [UInt8](), closed: false))

    var count: Int { state.withLock { $0.bytes.count } }
    var closed: Bool { state.withLock { $0.closed } }
    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        state.withLock { $0.bytes += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLock { $0.closed = true }
    }
}
