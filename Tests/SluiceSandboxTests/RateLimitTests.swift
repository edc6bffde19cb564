import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct RateLimitTests {
    static let start = SandboxHarness.alignedStart.timeIntervalSince1970

    @Test func helpScoutSendsBothHeaderFamiliesAndLimitsWritesPerFiveSeconds() async throws {
        try await withSandbox { harness in
            harness.sandbox.setLimit(2, window: "writes", for: .helpscout)
            let read = try await harness.request(.GET, .helpscout, "/v2/customers")
            #expect(read.intHeader("X-RateLimit-Limit") == 200)
            #expect(read.intHeader("X-RateLimit-Remaining") == 199)
            #expect(read.intHeader("X-RateLimit-Reset") == Int(Self.start) + 60)
            #expect(read.intHeader("X-RateLimit-Limit-Minute") == 200)
            #expect(read.intHeader("X-RateLimit-Remaining-Minute") == 199)

            for _ in 0..<2 {
                #expect(try await harness.request(.POST, .helpscout, "/v2/customers", json: ["firstName": "A"]).status == 201)
            }
            let limited = try await harness.request(.POST, .helpscout, "/v2/customers", json: ["firstName": "A"])
            #expect(limited.status == 429)
            #expect(limited.intHeader("X-RateLimit-Retry-After") == 5)
            #expect(limited.json?["logRef"] != nil)
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers").status == 200, "reads do not count as writes")

            harness.clock.advance(by: 5)
            #expect(try await harness.request(.POST, .helpscout, "/v2/customers", json: ["firstName": "A"]).status == 201)
            let records = harness.sandbox.stats(for: .helpscout).rateLimited
            #expect(records.count == 1)
            #expect(records.first?.window == "writes")
            #expect(records.first?.route == RouteKey("POST", "/v2/customers"))
        }
    }

    @Test func intercomCountsInTenSecondWindows() async throws {
        try await withSandbox { harness in
            harness.sandbox.setLimit(3, window: "10s", for: .intercom)
            let search: JSON = ["query": ["field": "email", "operator": "=", "value": "x"]]
            harness.clock.advance(by: 4)
            var remaining: [Int?] = []
            for _ in 0..<3 {
                let reply = try await harness.request(.POST, .intercom, "/contacts/search", json: search)
                remaining.append(reply.intHeader("X-RateLimit-Remaining"))
                #expect(reply.intHeader("X-RateLimit-Limit") == 3)
                #expect(reply.intHeader("X-RateLimit-Reset") == Int(Self.start) + 10)
            }
            #expect(remaining == [2, 1, 0])
            let limited = try await harness.request(.POST, .intercom, "/contacts/search", json: search)
            #expect(limited.status == 429)
            #expect(limited.json?["errors"]?[0]?["code"] == "rate_limit_exceeded")
            #expect(limited.json?["errors"]?[0]?["message"] == "Exceeded rate limit of 3 in 10_seconds")
            #expect(limited.intHeader("X-RateLimit-Remaining") == 0)

            harness.clock.advance(by: 6)  // the next aligned window, 10 s after the start
            let fresh = try await harness.request(.POST, .intercom, "/contacts/search", json: search)
            #expect(fresh.status == 200)
            #expect(fresh.intHeader("X-RateLimit-Remaining") == 2)
        }
    }

    @Test func intercomDefaultIs166PerTenSeconds() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.GET, .intercom, "/companies")
            #expect(reply.intHeader("X-RateLimit-Limit") == 166)
        }
    }

    @Test func zendeskAnswers429InPlainTextWithRetryAfter() async throws {
        try await withSandbox(limitScale: 0.01) { harness in
            let ok = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            #expect(ok.intHeader("X-Rate-Limit") == 2)
            #expect(ok.intHeader("X-Rate-Limit-Remaining") == 1)
            _ = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            harness.clock.advance(by: 15)
            let limited = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            #expect(limited.status == 429)
            #expect(limited.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(limited.intHeader("Retry-After") == 45)
            #expect(limited.json == nil)
        }
    }

    @Test func clientSuccessAllowsTenPerSecondThen429() async throws {
        try await withSandbox { harness in
            let path = "/collector/1.0.0/projects/\(harness.credentials.clientSuccessProjectId)/events/x"
            let body: JSON = ["identity": ["organization": ["id": "g", "name": "G"]]]
            for _ in 0..<10 { #expect(try await harness.request(.POST, .clientsuccess, path, json: body).status == 200) }
            let limited = try await harness.request(.POST, .clientsuccess, path, json: body)
            #expect(limited.status == 429)
            #expect(limited.intHeader("Retry-After") == 1)
            #expect(limited.json?["created"] == false)
            harness.clock.advance(by: 1)
            #expect(try await harness.request(.POST, .clientsuccess, path, json: body).status == 200)
        }
    }

    @Test func aLoweredLimitTakesEffectWithinTheWindow() async throws {
        try await withSandbox { harness in
            for _ in 0..<5 { _ = try await harness.request(.GET, .intercom, "/companies") }
            let changed = try await harness.control(.POST, "/intercom/limits", json: ["windows": ["10s": 5]])
            #expect(changed.status == 200)
            #expect(changed.json?["windows"]?[0]?["remaining"] == 0)
            let limited = try await harness.request(.GET, .intercom, "/companies")
            #expect(limited.status == 429)

            harness.clock.advance(by: 10)
            let next = try await harness.request(.GET, .intercom, "/companies")
            #expect(next.status == 200)
            #expect(next.intHeader("X-RateLimit-Limit") == 5)
            #expect(next.intHeader("X-RateLimit-Remaining") == 4)
        }
    }

    @Test func scaleMultipliesEveryLimitAndCanChangeAtRunTime() async throws {
        try await withSandbox(limitScale: 0.5) { harness in
            let policy = harness.sandbox.rateLimitPolicy(for: .helpscout)
            #expect(policy.windows.map(policy.effectiveLimit) == [100, 6])
            harness.sandbox.setLimitScale(0.01)
            #expect(harness.sandbox.rateLimitStatus(for: .intercom).first?.limit == 1)
            _ = try await harness.request(.GET, .intercom, "/companies")
            #expect(try await harness.request(.GET, .intercom, "/companies").status == 429)
        }
    }

    @Test func refusedRequestsAreNotCounted() {
        let limiter = FixedWindowRateLimiter(policy: RateLimitPolicy(windows: [
            RateLimitWindow("minute", limit: 10, seconds: 60), RateLimitWindow("writes", limit: 1, seconds: 5, writesOnly: true),
        ]))
        let now = SandboxHarness.alignedStart
        guard case .allowed = limiter.admit(isWrite: true, at: now) else { Issue.record("first write refused"); return }
        guard case .limited(let exhausted, _) = limiter.admit(isWrite: true, at: now) else { Issue.record("second write admitted"); return }
        #expect(exhausted.window.name == "writes")
        #expect(limiter.statuses(at: now).first?.remaining == 9, "the refused write did not use the minute's budget")
    }
}
