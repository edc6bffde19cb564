import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

/// Shared values and canned API replies for the Intercom and ClientSuccess tests.
enum Canned {
    static let intercomKey = "9f3c1b7e2d4a6c8e0b1d3f5a7c9e1b3d5f7a9c2e"
    static let clientSuccessKey = "cs-live-0123456789abcdef"
    static let projectId = "66e46bd0aff543b6a8e87fa8680fb919"

    static func intercom(
        collectContext: Bool = false,
        defaultNestedHandling: NestedHandling = .flatten,
        nestedHandling: [String: NestedHandling] = [:],
        richLinkProperties: [String] = []
    ) -> IntercomSettings {
        IntercomSettings(apiKey: Secret(intercomKey), collectContext: collectContext, defaultNestedHandling: defaultNestedHandling,
                         nestedHandling: nestedHandling, richLinkProperties: richLinkProperties,
                         common: CommonSettings(enabled: true))
    }

    static func clientSuccess() -> ClientSuccessSettings {
        ClientSuccessSettings(apiKey: Secret(clientSuccessKey), projectId: projectId, common: CommonSettings(enabled: true))
    }

    /// Intercom's `POST /contacts/search` reply listing these contacts.
    static func contacts(_ ids: String..., externalId: String? = nil) -> HTTPResponse {
        let data: [JSON] = ids.map { id in
            var contact: JSONObject = ["type": "contact", "id": .string(id)]
            if let externalId { contact["external_id"] = .string(externalId) }
            return .object(contact)
        }
        return HTTPResponse(status: 200, json: ["type": "list", "data": .array(data), "total_count": .int(Int64(ids.count))])
    }

    static let noContacts = contacts()

    static func object(_ type: String, id: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, json: ["type": .string(type), "id": .string(id)])
    }

    /// Intercom's reply to `POST /events`.
    static let accepted = HTTPResponse(status: 202)

    static func intercomError(_ status: Int, code: String, message: String) -> HTTPResponse {
        HTTPResponse(status: status, json: [
            "type": "error.list", "request_id": "req-1",
            "errors": [["code": .string(code), "message": .string(message)]],
        ])
    }

    static let created = HTTPResponse(status: 200, json: ["created": true])

    /// The context of a call from a server library.
    static func identify(_ traits: JSONObject, userId: String? = "u1", context: JSONObject = [:], extra: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = ["type": "identify", "traits": .object(traits), "context": .object(context)]
        if let userId { payload["userId"] = .string(userId) } else { payload["anonymousId"] = "anon-1" }
        for entry in extra { payload[entry.key] = entry.value }
        return try makeEvent(payload)
    }

    static func track(_ name: String, _ properties: JSONObject = [:], userId: String? = "u1", context: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = [
            "type": "track", "event": .string(name), "properties": .object(properties), "context": .object(context),
            "timestamp": "2024-01-02T03:04:05.000Z",
        ]
        if let userId { payload["userId"] = .string(userId) } else { payload["anonymousId"] = "anon-1" }
        return try makeEvent(payload)
    }

    static func group(_ groupId: String, _ traits: JSONObject, userId: String? = "u1", context: JSONObject = [:]) throws -> Event {
        var payload: JSONObject = ["type": "group", "groupId": .string(groupId), "traits": .object(traits), "context": .object(context)]
        if let userId { payload["userId"] = .string(userId) } else { payload["anonymousId"] = "anon-1" }
        return try makeEvent(payload)
    }

    /// 2024-01-02T03:04:05Z, the timestamp of `track` events.
    static let trackSeconds: Int64 = 1_704_164_645
    /// The ScriptedContext's default `now`.
    static let nowSeconds: Int64 = 1_700_000_000
}

extension Canned {
    static func notes(_ outcome: MappingOutcome) -> [String] {
        if case .delivered(let notes) = outcome { return notes }
        Issue.record("expected a delivery, got \(outcome)")
        return []
    }

    static func skipReason(_ outcome: MappingOutcome) -> String? {
        if case .skipped(let reason) = outcome { return reason }
        return nil
    }

    /// The failure a mapping threw, for asserting status and message.
    static func failure(_ body: () async throws -> MappingOutcome) async -> HTTPStepFailure? {
        do {
            let outcome = try await body()
            Issue.record("expected a failure, got \(outcome)")
            return nil
        } catch let failure as HTTPStepFailure {
            return failure
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}
