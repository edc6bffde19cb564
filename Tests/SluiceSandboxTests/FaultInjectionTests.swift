import AsyncHTTPClient
import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct FaultInjectionTests {
    @Test func everyRequestFailsWithTheApisOwnErrorBodyAtRateOne() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(errorRate: 1, errorStatuses: [502], seed: 1), for: .intercom)
            let reply = try await harness.request(.GET, .intercom, "/companies")
            #expect(reply.status == 502)
            #expect(reply.json?["type"] == "error.list")
            harness.sandbox.setFaults(FaultSettings(errorRate: 1, errorStatuses: [500], seed: 1), for: .zendesk)
            let zendesk = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            #expect(zendesk.status == 500)
            #expect(zendesk.json?["error"] != nil && zendesk.json?["description"] != nil)
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers").status == 200, "other destinations are unaffected")
        }
    }

    @Test func aSeedMakesInjectedErrorsReproducible() async throws {
        func statuses(_ harness: SandboxHarness) async throws -> [Int] {
            harness.sandbox.setFaults(FaultSettings(errorRate: 0.5, errorStatuses: [500, 503], seed: 42), for: .intercom)
            var result: [Int] = []
            for _ in 0..<20 { result.append(try await harness.request(.GET, .intercom, "/companies").status) }
            return result
        }
        try await withSandbox { harness in
            let first = try await statuses(harness)
            let second = try await statuses(harness)
            #expect(first == second)
            #expect(first.contains(200) && first.contains { $0 >= 500 })
        }
    }

    @Test func latencyIsAdded() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(seed: 3, latency: .milliseconds(150), jitter: .milliseconds(20)), for: .clientsuccess)
            let started = ContinuousClock.now
            _ = try await harness.request(.POST, .clientsuccess, "/collector/1.0.0/projects/x/events/y", json: [:])
            #expect(ContinuousClock.now - started >= .milliseconds(150))
        }
    }

    @Test func aCloseOutageDropsTheConnectionUntilItEnds() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(outage: .closeConnection, outageDuration: .seconds(30)), for: .helpscout)
            await #expect(throws: (any Error).self) {
                _ = try await harness.request(.GET, .helpscout, "/v2/customers")
            }
            #expect(harness.sandbox.stats(for: .helpscout).count(outcome: .connectionClosed) >= 1)
            harness.clock.advance(by: 31)
            let after = try await harness.request(.GET, .helpscout, "/v2/customers")
            #expect(after.status == 200)
        }
    }

    @Test func aHangOutageLeavesRequestsUnanswered() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(outage: .noAnswer), for: .zendesk)
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                _ = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x", timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(harness.sandbox.stats(for: .zendesk).count(outcome: .unanswered) == 1)
            harness.sandbox.clearFaults(for: .zendesk)
            let after = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            #expect(after.status == 200)
        }
    }

    @Test func a503OutageAnswersInTheApisFormatAndEndsOnTime() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(outage: .serviceUnavailable, outageDuration: .seconds(5)), for: .clientsuccess)
            let path = "/collector/1.0.0/projects/\(harness.credentials.clientSuccessProjectId)/events/x"
            let body: JSON = ["identity": ["organization": ["id": "g", "name": "G"]]]
            let down = try await harness.request(.POST, .clientsuccess, path, json: body)
            #expect(down.status == 503)
            #expect(down.json?["created"] == false)
            harness.clock.advance(by: 5)
            #expect(try await harness.request(.POST, .clientsuccess, path, json: body).status == 200)
        }
    }

    @Test func aRateLimitStormAnswers429UntilItPasses() async throws {
        try await withSandbox { harness in
            harness.sandbox.setFaults(FaultSettings(rateLimitStorm: .seconds(30)), for: .intercom)
            let limited = try await harness.request(.GET, .intercom, "/companies")
            #expect(limited.status == 429)
            #expect(limited.json?["errors"]?[0]?["code"] == "rate_limit_exceeded")
            #expect(limited.intHeader("X-RateLimit-Remaining") == 0)
            #expect(limited.intHeader("X-RateLimit-Reset") == Int(SandboxHarness.alignedStart.timeIntervalSince1970) + 30)
            harness.clock.advance(by: 20)
            #expect(try await harness.request(.GET, .intercom, "/companies").status == 429)
            harness.clock.advance(by: 10)
            #expect(try await harness.request(.GET, .intercom, "/companies").status == 200)
            let records = harness.sandbox.stats(for: .intercom).rateLimited
            #expect(records.map(\.cause) == [.storm, .storm])
            #expect(records.first?.retryAfterSeconds == 30)
        }
    }
}
