import Foundation
@testable import SluiceDestinations
import SluiceSpec
import Testing

/// Credentials and builders shared by the Help Scout, Zendesk, settings-file and preview tests.
enum Fixtures {
    static let helpScoutKey = "7f3c9e2b5a1d8046c2e9b7f1a3d5c8e0b4f6a2d9"
    static let helpScoutAppId = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    static let helpScoutAppSecret = "s3cr3tS3cr3tS3cr3tS3cr3tS3cr3t99"
    static let zendeskPassword = "hunter2-correct-horse"
    static let zendeskToken = "wFuSxDGmXeTkNq9R7pZcVb3Lh2Ja8YoE6iKd1UrM"

    static func helpScout(enabled: Bool = true, baseURL: String? = nil) -> HelpScoutSettings {
        HelpScoutSettings(apiKey: Secret(helpScoutKey), common: CommonSettings(enabled: enabled, baseURL: baseURL))
    }

    static func helpScoutOAuth() -> HelpScoutSettings {
        HelpScoutSettings(appId: helpScoutAppId, appSecret: Secret(helpScoutAppSecret), common: CommonSettings(enabled: true))
    }

    static func zendesk(token: Bool = false, verified: Bool = false, baseURL: String? = nil) -> ZendeskSettings {
        ZendeskSettings(email: "ops@acme.com", usesAPIToken: token, password: Secret(token ? zendeskToken : zendeskPassword),
                        subdomain: "acme", verified: verified, common: CommonSettings(enabled: true, baseURL: baseURL))
    }

    static func identify(userId: String? = "u-1", traits: JSONObject = [:], extra: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = ["type": "identify", "traits": .object(traits)]
        if let userId { payload["userId"] = .string(userId) } else { payload["anonymousId"] = "anon-1" }
        for entry in extra { payload[entry.key] = entry.value }
        return try makeEvent(payload)
    }

    static func group(userId: String? = "u-1", groupId: String = "908172409", traits: JSONObject = [:], extra: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = ["type": "group", "groupId": .string(groupId), "traits": .object(traits)]
        if let userId { payload["userId"] = .string(userId) } else { payload["anonymousId"] = "anon-1" }
        for entry in extra { payload[entry.key] = entry.value }
        return try makeEvent(payload)
    }

    static func event(_ type: String, userId: String = "u-1", extra: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = ["type": .string(type), "userId": .string(userId)]
        if type == "track" { payload["event"] = "Signed Up" }
        if type == "group" { payload["groupId"] = "g-1" }
        if type == "alias" { payload["previousId"] = "old-1" }
        for entry in extra { payload[entry.key] = entry.value }
        return try makeEvent(payload)
    }

    static func ok(_ json: JSON = [:], status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, json: json)
    }

    static let notFound = HTTPResponse(status: 404, json: ["message": "not found"])

    /// Help Scout's search answer for the given customers.
    static func customers(_ customers: JSON...) -> HTTPResponse {
        ok(["_embedded": ["customers": .array(customers)], "page": ["size": 50, "totalElements": .int(Int64(customers.count))]])
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// Every way a value can be printed or exported, for "the secret never shows" checks.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }
}

extension ScriptedContext {
    /// The requests with this method whose path and query start with `prefix`.
    func requests(_ method: HTTPMethod, _ prefix: String) -> [HTTPRequest] {
        requests.filter { $0.method == method && $0.pathAndQuery.hasPrefix(prefix) }
    }
}

/// Runs `body`, expecting it to throw an `HTTPStepFailure`, and returns that failure.
func expectStepFailure(_ body: () async throws -> MappingOutcome, sourceLocation: SourceLocation = #_sourceLocation) async -> HTTPStepFailure? {
    do {
        let outcome = try await body()
        Issue.record("expected an HTTPStepFailure, got \(outcome)", sourceLocation: sourceLocation)
    } catch let failure as HTTPStepFailure {
        return failure
    } catch {
        Issue.record("expected an HTTPStepFailure, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Parses settings expecting failure; returns the issues.
func settingsIssues<S: DestinationSettings>(_ type: S.Type, _ json: JSONObject, sourceLocation: SourceLocation = #_sourceLocation) -> [SettingsIssue] {
    do {
        let settings = try S(json: json)
        Issue.record("expected settings errors, got \(settings)", sourceLocation: sourceLocation)
    } catch {
        return error.issues
    }
    return []
}
