import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
@testable import SluiceSandbox
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
}
