import Foundation
@testable import SluiceDestinations
import SluiceSpec
import Testing

@Suite("Preview and dispatch")
struct PreviewTests {
    static let configured = SettingsFile(helpscout: Fixtures.helpScout(), zendesk: Fixtures.zendesk())
    static let jane: JSONObject = ["email": "jane@example.com", "name": "Jane Smith"]

    @Test func previewsHelpScoutAsANewCustomerWithSecretsMasked() async throws {
        let result = await Preview.run(try Fixtures.identify(traits: Self.jane), to: .helpscout, settings: Self.configured)
        #expect(result.outcome == .mapped(.delivered(notes: ["created customer preview-id"])))
        #expect(result.requests.map { "\($0.method.rawValue) \($0.pathAndQuery)" } == [
            "GET /v2/customers?query=%28email%3A%22jane%40example.com%22%29", "POST /v2/customers",
        ])
        #expect(result.requests.allSatisfy { $0.headers["Authorization"] == "Bearer ••••a2d9" && $0.secrets.isEmpty })
        #expect(result.requests[1].jsonBody == ["firstName": "Jane", "lastName": "Smith", "emails": [["type": "work", "value": "jane@example.com"]]])
        #expect(result.warnings.isEmpty)
    }

    @Test func previewsAnOAuthAppWithThePlaceholderToken() async throws {
        let file = SettingsFile(helpscout: Fixtures.helpScoutOAuth())
        let result = await Preview.run(try Fixtures.identify(traits: Self.jane), to: .helpscout, settings: file)
        #expect(result.requests.map(\.method) == [.POST, .GET, .POST])
        #expect(result.requests[0].body == .form(["grant_type": "client_credentials", "client_id": Fixtures.helpScoutAppId,
                                                  "client_secret": Secret(Fixtures.helpScoutAppSecret).masked]))
        #expect(result.requests[1].headers["Authorization"] == "Bearer " + Secret("preview-access-token").masked)
    }

    @Test func previewsAnUnconfiguredDestinationWithItsDefaults() async throws {
        let result = await Preview.run(try Fixtures.identify(traits: Self.jane), to: .helpscout, settings: SettingsFile())
        #expect(result.warnings == ["Help Scout is not in the settings file; previewing with its defaults and no credentials"])
        #expect(result.requests.count == 2)
        #expect(result.requests[0].headers["Authorization"] == nil)
        #expect(result.requests[0].url.hasPrefix("https://api.helpscout.net/v2/customers?query="))
    }

    @Test func warnsThatADisabledDestinationWouldNotSend() async throws {
        let file = SettingsFile(zendesk: Fixtures.zendesk().with { $0.common.enabled = false })
        let result = await Preview.run(try Fixtures.identify(traits: Self.jane), to: .zendesk, settings: file)
        #expect(result.warnings == ["Zendesk is disabled; the engine would not send this call"])
        #expect(result.outcome == .mapped(.delivered(notes: ["updated user"])))
    }

    @Test func previewsZendeskWithTheBasicCredentialMasked() async throws {
        let result = await Preview.run(try Fixtures.identify(userId: "12345", traits: Self.jane), to: .zendesk, settings: Self.configured)
        let masked = "Basic " + Secret(Fixtures.base64("ops@acme.com:" + Fixtures.zendeskPassword)).masked
        #expect(result.requests.map(\.url) == [
            "https://acme.zendesk.com/api/v2/users/search.json?query=email%3Ajane%40example.com",
            "https://acme.zendesk.com/api/v2/users/create_or_update.json",
        ])
        #expect(result.requests.allSatisfy { $0.headers["Authorization"] == masked })
        #expect(result.requests[1].jsonBody == ["user": ["email": "jane@example.com", "name": "Jane Smith", "external_id": "12345"]])
    }

    @Test func previewsAZendeskGroupUpToTheMissingUser() async throws {
        let result = await Preview.run(try Fixtures.group(userId: "6789", traits: ["name": "LA Lakers"]), to: .zendesk, settings: Self.configured)
        #expect(result.requests.map { "\($0.method.rawValue) \($0.pathAndQuery)" } == [
            "GET /api/v2/organizations/search.json?external_id=908172409",
            "POST /api/v2/organizations/create_or_update.json",
            "GET /api/v2/users/search.json?external_id=6789",
        ])
        #expect(result.outcome == .mapped(.delivered(notes: ["organization preview-id updated; the user was not linked: no Zendesk user has external_id 6789"])))
    }

    @Test func rendersMethodURLHeadersAndPrettyBody() async throws {
        let result = await Preview.run(try Fixtures.identify(userId: "12345", traits: Self.jane), to: .zendesk, settings: Self.configured)
        let text = Preview.render(result)
        let masked = Secret(Fixtures.base64("ops@acme.com:" + Fixtures.zendeskPassword)).masked
        #expect(text == """
            Zendesk: delivered (updated user)

            1. GET https://acme.zendesk.com/api/v2/users/search.json?query=email%3Ajane%40example.com
               Authorization: Basic \(masked)
               Accept: application/json

            2. POST https://acme.zendesk.com/api/v2/users/create_or_update.json
               Authorization: Basic \(masked)
               Accept: application/json
               Content-Type: application/json

               {
                 "user": {
                   "email": "jane@example.com",
                   "name": "Jane Smith",
                   "external_id": "12345"
                 }
               }

            """)
        #expect(!text.contains(Fixtures.zendeskPassword))
    }

    @Test func rendersSkipsAndFailures() {
        let skipped = PreviewResult(destination: .helpscout, requests: [], outcome: .mapped(.skipped(reason: "Help Scout needs an email")), warnings: [])
        #expect(Preview.render(skipped) == "Help Scout: skipped: Help Scout needs an email\n(no requests)\n")
        let failed = PreviewResult(destination: .zendesk, requests: [], outcome: .failed("boom"), warnings: ["w"])
        #expect(Preview.render(failed) == "Zendesk: failed: boom\n! w\n(no requests)\n")
    }

    @Test func rendersAFormBodyReadably() async throws {
        let result = await Preview.run(try Fixtures.identify(traits: Self.jane), to: .helpscout, settings: SettingsFile(helpscout: Fixtures.helpScoutOAuth()))
        let text = Preview.render(result)
        #expect(text.contains("   client_id=\(Fixtures.helpScoutAppId)&client_secret=\(Secret(Fixtures.helpScoutAppSecret).masked)&grant_type=client_credentials\n"))
        #expect(!text.contains(Fixtures.helpScoutAppSecret))
    }

    @Test func previewsEveryDestination() async throws {
        let results = await Preview.runAll(try Fixtures.identify(traits: Self.jane), settings: Self.configured)
        #expect(results.map(\.destination) == DestinationID.allCases)
    }

    // MARK: - Dispatch

    @Test(arguments: [
        (["All": false] as JSONObject, false),
        (["All": false, "Help Scout": true] as JSONObject, true),
        (["All": false, "help scout": true] as JSONObject, true),
        (["Help Scout": false] as JSONObject, false),
        (["HELP SCOUT": false] as JSONObject, false),
        (["Zendesk": false] as JSONObject, true),
        (["All": true, "Help Scout": ["option": 1]] as JSONObject, true),
    ])
    func honoursTheIntegrationsObject(_ integrations: JSONObject, _ allowed: Bool) async throws {
        let context = RecordingContext(responder: RecordingContext.previewResponder)
        let event = try Fixtures.identify(traits: Self.jane, extra: ["integrations": .object(integrations)])
        let outcome = try await Destinations.map(event, to: .helpscout, settings: Self.configured, context: context)
        if allowed {
            #expect(outcome != .skipped(reason: "integrations object excludes Help Scout"))
            #expect(!context.requests.isEmpty)
        } else {
            #expect(outcome == .skipped(reason: "integrations object excludes Help Scout"))
            #expect(context.requests.isEmpty)
        }
    }

    @Test func previewsShowTheIntegrationsSkipToo() async throws {
        let event = try Fixtures.identify(traits: Self.jane, extra: ["integrations": ["All": false, "Intercom": true]])
        let result = await Preview.run(event, to: .zendesk, settings: Self.configured)
        #expect(result.outcome == .mapped(.skipped(reason: "integrations object excludes Zendesk")))
        #expect(result.requests.isEmpty)
    }

    @Test func skipsCallTypesADestinationDoesNotTake() async throws {
        let context = RecordingContext(responder: RecordingContext.previewResponder)
        let helpScout = try await Destinations.map(Fixtures.event("track"), to: .helpscout, settings: Self.configured, context: context)
        #expect(helpScout == .skipped(reason: "Help Scout takes only identify calls; track calls are not sent"))
        let zendesk = try await Destinations.map(Fixtures.event("page"), to: .zendesk, settings: Self.configured, context: context)
        #expect(zendesk == .skipped(reason: "Zendesk takes only identify and group calls; page calls are not sent"))
        #expect(context.requests.isEmpty)
    }

    @Test func theEngineSendsOnlyToConfiguredEnabledDestinations() async throws {
        let context = RecordingContext(responder: RecordingContext.previewResponder)
        let event = try Fixtures.identify(traits: Self.jane)
        #expect(try await Destinations.map(event, to: .intercom, settings: Self.configured, context: context)
            == .skipped(reason: "Intercom is not configured in the settings file"))
        let disabled = SettingsFile(helpscout: Fixtures.helpScout(enabled: false))
        #expect(try await Destinations.map(event, to: .helpscout, settings: disabled, context: context)
            == .skipped(reason: "Help Scout is disabled in the settings"))
        #expect(context.requests.isEmpty)
    }

    @Test func reportsTheRateLimitsInForce() {
        var file = SettingsFile(zendesk: ZendeskSettings(plan: .enterprise, common: CommonSettings(rateLimits: ["perMinute": 500])))
        #expect(Destinations.rateLimits(of: .zendesk, in: file).map(\.limit) == [500])
        #expect(Destinations.rateLimits(of: .helpscout, in: file).map(\.limit) == [200, 12])
        file.zendesk = nil
        #expect(Destinations.rateLimits(of: .zendesk, in: file).map(\.limit) == [200])
        #expect(Destinations.supportedTypes(of: .zendesk) == [.identify, .group])
    }
}

extension ZendeskSettings {
    fileprivate func with(_ change: (inout ZendeskSettings) -> Void) -> ZendeskSettings {
        var copy = self
        change(&copy)
        return copy
    }
}
