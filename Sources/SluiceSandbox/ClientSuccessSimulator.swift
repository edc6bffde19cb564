import Foundation
import SluiceSpec
import Synchronization

/// ClientSuccess's Usage API collector: custom events, plus the identify and group paths the
/// mapping posts the same `identity` form to. Replies are `{created: true}`, or
/// `{created: false, message}` with 422 when the identity is incomplete.
final class ClientSuccessSimulator: APISimulator {
    struct State: Sendable {
        var organizations: [String: JSONObject] = [:]
        var users: [String: JSONObject] = [:]
        var events: RecentEvents<JSONObject>
    }

    let routes = RouteTable([
        ("POST", "/collector/1.0.0/projects/{projectId}/events/{event}"),
        ("POST", "/collector/1.0.0/projects/{projectId}/identify"),
        ("POST", "/collector/1.0.0/projects/{projectId}/group"),
    ])

    private let credentials: SandboxCredentials
    private let state: Mutex<State>
    private let eventLogCapacity: Int

    init(credentials: SandboxCredentials, options: SimulatorOptions = SimulatorOptions()) {
        self.credentials = credentials
        eventLogCapacity = options.eventLogCapacity
        state = Mutex(State(events: RecentEvents(capacity: options.eventLogCapacity)))
    }

    func authenticate(_ request: SandboxRequest, now: Date) -> SandboxResponse? {
        if let key = request.queryValue("api_key"), secretsMatch(key, credentials.clientSuccessAPIKey) { return nil }
        return refusal(401, "Invalid api_key")
    }

    func handle(_ match: RouteMatch, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard match["projectId"] == credentials.clientSuccessProjectId else {
            return refusal(404, "Unknown project \(match["projectId"])")
        }
        guard let body = request.json?.objectValue else { return refusal(422, "The body must be a JSON object") }
        let identity: Identity
        switch Identity.parse(body["identity"], requireUser: match.key.template.hasSuffix("/identify")) {
        case .success(let parsed): identity = parsed
        case .failure(let problem): return refusal(422, problem.message)
        }
        if let value = body["value"], !value.isNull, value.numberValue == nil {
            return refusal(422, "value must be a number")
        }
        if let attributes = body["attributes"], !attributes.isNull, attributes.objectValue == nil {
            return refusal(422, "attributes must be an object")
        }
        let attributes = body["attributes"]?.objectValue ?? [:]
        let timestamp = JSON.string(ISO8601.seconds(now))
        state.withLock { state in
            var organization = state.organizations[identity.organizationId] ?? ["id": .string(identity.organizationId), "firstSeen": timestamp]
            organization["name"] = .string(identity.organizationName)
            organization["lastSeen"] = timestamp
            if match.key.template.hasSuffix("/group") { organization["attributes"] = .object(Self.merge(organization["attributes"], attributes)) }
            state.organizations[identity.organizationId] = organization

            if let user = identity.user, let userId = user["id"]?.scalarText {
                var stored = state.users[userId] ?? ["id": .string(userId), "firstSeen": timestamp]
                for entry in user where entry.key != "id" { stored[entry.key] = entry.value }
                stored["organizationId"] = .string(identity.organizationId)
                stored["lastSeen"] = timestamp
                if match.key.template.hasSuffix("/identify") { stored["attributes"] = .object(Self.merge(stored["attributes"], attributes)) }
                state.users[userId] = stored
            }
            if match.key.template.hasSuffix("/events/{event}") {
                var event: JSONObject = ["event": .string(match["event"]), "organizationId": .string(identity.organizationId)]
                if let userId = identity.user?["id"] { event["userId"] = userId }
                event["value"] = body["value"] ?? 1
                event["receivedAt"] = timestamp
                state.events.append(event)
            }
        }
        return .json(200, ["created": true])
    }

    private static func merge(_ existing: JSON?, _ attributes: JSONObject) -> JSONObject {
        var merged = existing?.objectValue ?? [:]
        for entry in attributes { merged[entry.key] = entry.value }
        return merged
    }

    /// `{organization: {id, name}, user: {id, …}}`, with the organization required.
    struct Identity {
        let organizationId: String
        let organizationName: String
        let user: JSONObject?

        struct Problem: Error { let message: String }

        static func parse(_ json: JSON?, requireUser: Bool) -> Result<Identity, Problem> {
            guard let identity = json?.objectValue else { return .failure(Problem(message: "identity is required")) }
            guard let organization = identity["organization"]?.objectValue else {
                return .failure(Problem(message: "identity.organization is required"))
            }
            guard let id = organization["id"]?.scalarText, !id.isEmpty else {
                return .failure(Problem(message: "identity.organization.id is required"))
            }
            guard let name = organization["name"]?.scalarText, !name.isEmpty else {
                return .failure(Problem(message: "identity.organization.name is required"))
            }
            let user = identity["user"]?.objectValue
            if let user, user["id"]?.scalarText?.isEmpty ?? true {
                return .failure(Problem(message: "identity.user.id is required"))
            }
            if requireUser, user == nil { return .failure(Problem(message: "identity.user is required")) }
            return .success(Identity(organizationId: id, organizationName: name, user: user))
        }
    }

    private func refusal(_ status: Int, _ message: String) -> SandboxResponse {
        .json(status, ["created": false, "message": .string(message)])
    }

    func errorResponse(status: Int, message: String) -> SandboxResponse { refusal(status, message) }

    /// ClientSuccess publishes no rate-limit headers.
    func rateLimitHeaders(_ statuses: [RateLimitStatus], now: Date) -> [(name: String, value: String)] { [] }

    func tooManyRequests(_ refusal: RateLimitRefusal, now: Date) -> SandboxResponse {
        var response = self.refusal(429, "Too many requests; retry after \(refusal.retryAfterSeconds) s")
        response.headers.append(("Retry-After", String(refusal.retryAfterSeconds)))
        return response
    }

    func stateJSON() -> JSON {
        state.withLock { state in
            [
                "organizations": .array(state.organizations.keys.sorted().map { .object(state.organizations[$0]!) }),
                "users": .array(state.users.keys.sorted().map { .object(state.users[$0]!) }),
                "events": .array(state.events.elements.map(JSON.object)),
                "eventsDropped": .int(Int64(state.events.dropped)),
            ]
        }
    }

    func reset() { state.withLock { $0 = State(events: RecentEvents(capacity: eventLogCapacity)) } }
}
