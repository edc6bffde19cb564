import Foundation
import Logging
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import Testing

/// The engine's HTTP/1.1 client against the sandbox over loopback: keep-alive reuse, the bound
/// on connections, and a clear error for every way an exchange can fail.
@Suite(.serialized) struct PooledHTTPTransportTests {
    static func sandbox() async throws -> Sandbox {
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        var configuration = SandboxConfiguration()
        configuration.logger = logger
        let sandbox = try await Sandbox.start(configuration: configuration)
        sandbox.setRateLimitPolicy(RateLimitPolicy(windows: [], isEnabled: false), for: .intercom)
        return sandbox
    }

    static func intercom(_ sandbox: Sandbox, _ method: SluiceDestinations.HTTPMethod, _ path: String, _ body: JSON? = nil) -> SluiceDestinations.HTTPRequest {
        SluiceDestinations.HTTPRequest(method, sandbox.baseURL(for: .intercom) + path,
                                       headers: ["Authorization": "Bearer " + sandbox.credentials.intercomAccessToken, "Accept": "application/json"],
                                       body: body.map { .json($0) }, secrets: [Secret(sandbox.credentials.intercomAccessToken)])
    }

    @Test func exchangesKeepTheirStatusHeadersAndBody() async throws {
        let sandbox = try await Self.sandbox()
        let transport = PooledHTTPTransport()
        let created = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1", "email": "u1@example.com"]), timeout: .seconds(5))
        #expect(created.status == 200)
        #expect(created.json?["external_id"]?.stringValue == "u1")
        #expect(created.headers["Content-Type"]?.hasPrefix("application/json") == true)
        let event = try await transport.send(Self.intercom(sandbox, .POST, "/events", ["event_name": "Played", "created_at": 1_700_000_000, "user_id": "u1"]), timeout: .seconds(5))
        #expect(event.status == 202)
        #expect(event.body.isEmpty)
        let missing = try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .seconds(5))
        #expect(missing.status == 404)
        #expect(missing.json?["type"]?.stringValue == "error.list")
        #expect(transport.openConnections.values.reduce(0, +) == 1, "three exchanges in a row share one kept-alive connection")
        await transport.shutdown()
        await sandbox.shutdown()
    }

    @Test func concurrentExchangesStayWithinTheConnectionBound() async throws {
        let sandbox = try await Self.sandbox()
        let transport = PooledHTTPTransport(maxConnectionsPerOrigin: 4)
        _ = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1"]), timeout: .seconds(5))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<200 {
                group.addTask {
                    try await transport.send(Self.intercom(sandbox, .POST, "/events", ["event_name": "E", "created_at": .int(Int64(1_700_000_000 + n)), "user_id": "u1"]), timeout: .seconds(10)).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.count == 200 && statuses.allSatisfy { $0 == 202 })
        #expect((transport.openConnections.values.first ?? 0) <= 4)
        #expect(sandbox.stats(for: .intercom).count("POST", "/events", status: 202) == 200, "each request reached the server exactly once")
        await transport.shutdown()
        await sandbox.shutdown()
    }

    @Test func aRefusedConnectionIsATransportErrorNamingTheURLWithoutSecrets() async throws {
        let transport = PooledHTTPTransport()
        // Port 9 (discard) is closed on loopback here; nothing listens on it.
        let request = SluiceDestinations.HTTPRequest(.POST, "http://127.0.0.1:9/collector?api_key=topsecretkey123456", body: .json(["a": 1]),
                                                     secrets: [Secret("topsecretkey123456")])
        await #expect {
            _ = try await transport.send(request, timeout: .seconds(5))
        } throws: { error in
            let text = String(describing: error)
            return error is TransportError && text.contains("cannot connect to http://127.0.0.1:9") && !text.contains("topsecretkey123456")
        }
        await transport.shutdown()
    }

    @Test func aSlowServerTimesOutAndTheNextExchangeStillWorks() async throws {
        let sandbox = try await Self.sandbox()
        let transport = PooledHTTPTransport()
        _ = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1"]), timeout: .seconds(5))
        sandbox.setFaults(FaultSettings(latency: .seconds(2)), for: .intercom)
        let started = ContinuousClock.now
        await #expect {
            _ = try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .milliseconds(200))
        } throws: { error in
            String(describing: error).contains("no complete answer within")
        }
        #expect(ContinuousClock.now - started < .seconds(1.5))
        sandbox.clearFaults(for: .intercom)
        let after = try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .seconds(5))
        #expect(after.status == 404)
        await transport.shutdown()
        await sandbox.shutdown()
    }

    /// One timer per connection is moved on to the running exchange's deadline when it fires:
    /// quick exchanges for longer than the timeout never time out, and a slow one after them
    /// still does, on time.
    @Test func theConnectionsTimerFollowsEachExchangesOwnDeadline() async throws {
        let sandbox = try await Self.sandbox()
        let transport = PooledHTTPTransport(maxConnectionsPerOrigin: 1)
        _ = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1"]), timeout: .seconds(5))
        let quickUntil = ContinuousClock.now + .milliseconds(900)
        var quick = 0
        while ContinuousClock.now < quickUntil {
            let reply = try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .milliseconds(250))
            #expect(reply.status == 404)
            quick += 1
        }
        #expect(quick > 10)
        sandbox.setFaults(FaultSettings(latency: .seconds(2)), for: .intercom)
        let started = ContinuousClock.now
        await #expect {
            _ = try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .milliseconds(250))
        } throws: { error in
            String(describing: error).contains("no complete answer within 250 ms")
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(240) && waited < .seconds(1.5))
        sandbox.clearFaults(for: .intercom)
        #expect(try await transport.send(Self.intercom(sandbox, .GET, "/contacts/nope"), timeout: .seconds(5)).status == 404)
        await transport.shutdown()
        await sandbox.shutdown()
    }

    @Test func aClosedConnectionFailsTheExchangeAndANewOneIsOpenedAfterwards() async throws {
        let sandbox = try await Self.sandbox()
        let transport = PooledHTTPTransport()
        _ = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1"]), timeout: .seconds(5))
        sandbox.setFaults(FaultSettings(outage: .closeConnection), for: .intercom)
        await #expect {
            _ = try await transport.send(Self.intercom(sandbox, .POST, "/events", ["event_name": "E", "created_at": 1_700_000_000, "user_id": "u1"]), timeout: .seconds(5))
        } throws: { error in
            error is TransportError && String(describing: error).contains("closed before the server answered")
        }
        sandbox.clearFaults(for: .intercom)
        let after = try await transport.send(Self.intercom(sandbox, .POST, "/events", ["event_name": "E", "created_at": 1_700_000_000, "user_id": "u1"]), timeout: .seconds(5))
        #expect(after.status == 202)
        await transport.shutdown()
        await sandbox.shutdown()
    }

    @Test func anOversizedAnswerIsRefused() async throws {
        let sandbox = try await Self.sandbox()
        var configuration = PooledHTTPTransport.Configuration()
        configuration.maxResponseBytes = 64
        let transport = PooledHTTPTransport(configuration: configuration)
        await #expect {
            _ = try await transport.send(Self.intercom(sandbox, .POST, "/contacts", ["role": "user", "external_id": "u1", "email": "u1@example.com"]), timeout: .seconds(5))
        } throws: { error in
            String(describing: error).contains("larger than 64 bytes")
        }
        await transport.shutdown()
        await sandbox.shutdown()
    }

    @Test func unsupportedURLsAreRefusedBeforeConnecting() async throws {
        let transport = PooledHTTPTransport()
        for (url, message) in [("ftp://example.com/x", "only http:// and https://"), ("http:///path", "no host"),
                               ("http://user:pw@example.com/", "credentials in the URL"), ("http://example.com:99999/", "port \"99999\"")] {
            await #expect {
                _ = try await transport.send(SluiceDestinations.HTTPRequest(.GET, url), timeout: .seconds(1))
            } throws: { error in
                let text = String(describing: error)
                return text.contains(message) && !text.contains("pw@")
            }
        }
        #expect(transport.openConnections.isEmpty)
        await transport.shutdown()
    }

    @Test func targetsSplitURLsAsHTTP11Needs() throws {
        let plain = try Target(url: "http://127.0.0.1:8089/intercom/contacts?x=1")
        #expect(plain.origin == Origin(tls: false, host: "127.0.0.1", port: 8089))
        #expect(plain.hostHeader == "127.0.0.1:8089")
        #expect(plain.pathAndQuery == "/intercom/contacts?x=1")
        let tls = try Target(url: "https://acme.zendesk.com/api/v2/users/create_or_update.json")
        #expect(tls.origin == Origin(tls: true, host: "acme.zendesk.com", port: 443))
        #expect(tls.hostHeader == "acme.zendesk.com")
        let bare = try Target(url: "HTTPS://api.intercom.io?page=2#top")
        #expect(bare.pathAndQuery == "/?page=2")
        let v6 = try Target(url: "http://[::1]:8080/x")
        #expect(v6.origin == Origin(tls: false, host: "::1", port: 8080))
        #expect(v6.hostHeader == "[::1]:8080")
        let fragment = try Target(url: "Http://example.com/a/b?q=1#part")
        #expect(fragment.origin == Origin(tls: false, host: "example.com", port: 80))
        #expect(fragment.pathAndQuery == "/a/b?q=1")
        #expect(throws: Target.Invalid.self) { try Target(url: "ftp://example.com/") }
        #expect(throws: Target.Invalid.self) { try Target(url: "https:/example.com") }
        #expect(throws: Target.Invalid.self) { try Target(url: "http://") }
    }
}
