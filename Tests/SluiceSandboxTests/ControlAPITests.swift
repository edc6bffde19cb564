import Foundation
import Logging
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct ControlAPITests {
    @Test func stateAndStatsAreServedAsJSON() async throws {
        try await withSandbox { harness in
            _ = try await harness.request(.POST, .intercom, "/contacts", json: ["role": "user", "external_id": "u-1"])
            _ = try await harness.request(.POST, .intercom, "/contacts", json: ["role": "user", "external_id": "u-1"])
            let state = try await harness.control(.GET, "/intercom/state")
            #expect(state.status == 200)
            #expect(state.json?["contacts"]?.arrayValue?.count == 1)

            let stats = try await harness.control(.GET, "/intercom/stats")
            #expect(stats.json?["total"] == 2)
            #expect(stats.json?["requests"]?["POST /contacts"] == ["200": 1, "409": 1])
            let all = try await harness.control(.GET, "/stats")
            #expect(all.json?["zendesk"]?["total"] == 0)

            let counted = harness.sandbox.stats(for: .intercom)
            #expect(counted.count("POST", "/contacts", status: 409) == 1)
            #expect(counted.totalRequests == 2)

            let index = try await harness.control(.GET, "")
            #expect(index.json?["destinations"]?.arrayValue?.count == 4)
        }
    }

    @Test func faultsAreSetReadAndClearedOverHTTP() async throws {
        try await withSandbox { harness in
            let set = try await harness.control(.POST, "/helpscout/faults", json: ["errorRate": 1, "errorStatuses": [503], "seed": 9, "latencyMs": 5])
            #expect(set.status == 200)
            #expect(set.json?["errorRate"] == 1.0)
            #expect(harness.sandbox.faults(for: .helpscout).latency == .milliseconds(5))
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers").status == 503)

            let stormy = try await harness.control(.POST, "/helpscout/faults", json: ["stormSeconds": 10])
            #expect(stormy.json?["stormEndsAt"]?.stringValue != nil)
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers").status == 429)

            _ = try await harness.control(.POST, "/helpscout/faults", json: [:])
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers").status == 200)
        }
    }

    @Test func badControlRequestsNameTheProblemAndTheFix() async throws {
        try await withSandbox { harness in
            let badFault = try await harness.control(.POST, "/intercom/faults", json: ["errorRate": 2])
            #expect(badFault.status == 400)
            #expect(badFault.json?["error"]?.stringValue?.contains("errorRate") == true)
            #expect(badFault.json?["fix"] != nil)
            let badWindow = try await harness.control(.POST, "/intercom/limits", json: ["windows": ["minute": 5]])
            #expect(badWindow.status == 400)
            #expect(badWindow.json?["fix"]?.stringValue?.contains("10s") == true)
            let unknown = try await harness.control(.GET, "/mailchimp/state")
            #expect(unknown.status == 404)
            #expect(unknown.json?["fix"]?.stringValue?.contains("intercom") == true)
            let outside = try await harness.control(.GET, "/../nowhere")
            #expect(outside.status == 404)
        }
    }

    @Test func resetForgetsObjectsCountersAndFaults() async throws {
        try await withSandbox { harness in
            _ = try await harness.request(.POST, .helpscout, "/v2/customers", json: ["firstName": "A"])
            harness.sandbox.setFaults(FaultSettings(errorRate: 1), for: .zendesk)
            let reset = try await harness.control(.POST, "/reset")
            #expect(reset.status == 200)
            #expect(harness.sandbox.state(of: .helpscout)["customers"]?.arrayValue?.isEmpty == true)
            #expect(harness.sandbox.stats(for: .helpscout).totalRequests == 0)
            #expect(harness.sandbox.faults(for: .zendesk) == .none)

            _ = try await harness.request(.POST, .helpscout, "/v2/customers", json: ["firstName": "B"])
            _ = try await harness.control(.POST, "/helpscout/reset")
            #expect(harness.sandbox.state(of: .helpscout)["customers"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func limitsCanBeDisabledAndReadBack() async throws {
        try await withSandbox { harness in
            let off = try await harness.control(.POST, "/clientsuccess/limits", json: ["enabled": false])
            #expect(off.json?["enabled"] == false)
            let path = "/collector/1.0.0/projects/\(harness.credentials.clientSuccessProjectId)/events/x"
            for _ in 0..<15 {
                #expect(try await harness.request(.POST, .clientsuccess, path, json: ["identity": ["organization": ["id": "g", "name": "G"]]]).status == 200)
            }
            let read = try await harness.control(.GET, "/clientsuccess/limits")
            #expect(read.json?["windows"]?[0]?["name"] == "second")
        }
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .trace
        try await withSandbox(logger: logger) { harness in
            let credentials = harness.credentials
            _ = try await harness.request(.GET, .helpscout, "/v2/customers")
            _ = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=x")
            _ = try await harness.request(.GET, .intercom, "/companies")
            _ = try await harness.request(.POST, .clientsuccess, "/collector/1.0.0/projects/x/events/y", json: [:])
            _ = try await harness.request(.POST, .helpscout, "/v2/oauth2/token", form:
                "grant_type=client_credentials&client_id=\(credentials.helpScoutAppId)&client_secret=\(credentials.helpScoutAppSecret)", auth: .none)
            let logged = handler.messages.joined(separator: "\n")
            #expect(logged.contains("clientsuccess"), "requests are logged")
            for secret in [credentials.helpScoutAPIKey, credentials.helpScoutAppSecret, credentials.zendeskPassword,
                           credentials.intercomAccessToken, credentials.clientSuccessAPIKey] {
                #expect(!logged.contains(secret))
            }
        }
    }
}

@Suite struct RoutingTests {
    @Test func literalRoutesWinAndParametersAreDecoded() {
        let table = RouteTable([("POST", "/contacts/search"), ("POST", "/contacts/{id}"), ("GET", "/events/{name}")])
        #expect(table.match(method: "POST", path: "/contacts/search")?.key.template == "/contacts/search")
        #expect(table.match(method: "POST", path: "/contacts/abc")?["id"] == "abc")
        #expect(table.match(method: "GET", path: "/events/Order%20Completed")?["name"] == "Order Completed")
        #expect(table.match(method: "GET", path: "/contacts/search") == nil)
        #expect(table.match(method: "POST", path: "/contacts/search")?.isWrite == true)
    }

    @Test func unknownPathsGet404InTheDestinationsFormat() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.GET, .intercom, "/tickets")
            #expect(reply.status == 404)
            #expect(reply.json?["type"] == "error.list")
            #expect(harness.sandbox.stats(for: .intercom).count("GET", "(no route)") == 1)
        }
    }

    @Test func theConfiguredCredentialsAreUsed() async throws {
        var credentials = SandboxCredentials.demo
        credentials.intercomAccessToken = "custom-token"
        let sandbox = try await Sandbox.start(configuration: SandboxConfiguration(credentials: credentials, logger: quietLogger))
        let harness = SandboxHarness(sandbox: sandbox, clock: ManualClock())
        let accepted = try await harness.request(.GET, .intercom, "/companies").status
        let demoToken = try await harness.request(.GET, .intercom, "/companies", auth: .header("Bearer " + SandboxCredentials.demo.intercomAccessToken)).status
        await sandbox.shutdown()
        #expect(accepted == 200)
        #expect(demoToken == 401)
        #expect(sandbox.baseURL(for: .intercom) == "http://127.0.0.1:\(sandbox.port)/intercom")
        #expect(sandbox.port > 0)
    }

    @Test func aPortInUseIsAClearError() async throws {
        let first = try await Sandbox.start(configuration: SandboxConfiguration(logger: quietLogger))
        do {
            _ = try await Sandbox.start(port: first.port, configuration: SandboxConfiguration(logger: quietLogger))
            Issue.record("a second sandbox on the same port started")
        } catch let error as SandboxStartError {
            #expect(error.description.contains("\(first.port)"))
        }
        await first.shutdown()
    }
}
