import SluiceSpec

/// ClientSuccess, as its Segment doc describes it: identify, group, track and page go to the
/// Usage API's collector. ClientSuccess is organization-centred: "the group method is required
/// for any data to stick", and calls of a user whose group it does not know are lost.
///
/// Sluice does better than losing them: a call of a user whose group call has not been mapped
/// yet is `.held` under the release key `clientsuccess.group:<userId>` (see `releaseKey(forUser:)`).
/// A successfully mapped group call of that user satisfies the key (`releaseKeys(satisfiedBy:)`),
/// and the engine re-runs the held calls, which then find the group in the mapping state and are
/// delivered. Held calls older than `ClientSuccessSettings.holdTimeout` are dead-lettered.
public enum ClientSuccess: Destination {
    public typealias Settings = ClientSuccessSettings

    public static let id = DestinationID.clientsuccess
    public static let defaultBaseURL = "https://usage.clientsuccess.com"
    public static let collectorVersion = "1.0.0"

    /// ClientSuccess publishes no limit; this is Sluice's default, which operators may lower.
    public static let documentedRateLimits = [
        RateLimitWindow(key: "perSecond", label: "requests per second", limit: 10, seconds: 1),
    ]

    public static let supportedTypes: Set<EventType> = [.identify, .group, .track, .page]

    /// The key a call waiting for `userId`'s group is held under. It is also the mapping-state
    /// key where that user's group (`{id, name}`) is remembered once its group call is delivered.
    public static func releaseKey(forUser userId: String) -> String { "clientsuccess.group:" + userId }

    /// The hold keys a call satisfies once it has been mapped successfully: a group call with a
    /// userId releases that user's held calls. Empty for every other call.
    public static func releaseKeys(satisfiedBy event: Event) -> [String] {
        guard event.type == .group, let userId = event.userId else { return [] }
        return [releaseKey(forUser: userId)]
    }

    public static func map(_ event: Event, settings: ClientSuccessSettings, context: MappingContext) async throws -> MappingOutcome {
        switch event.type {
        case .identify: return try await identify(event, settings: settings, context: context)
        case .group: return try await group(event, settings: settings, context: context)
        case .track, .page: return try await customEvent(event, settings: settings, context: context)
        case .screen: return .skipped(reason: "ClientSuccess takes identify, group, track and page calls; screen calls are not sent")
        case .alias: return .skipped(reason: "ClientSuccess has no alias call")
        }
    }

    /// identify: the user's id, names and email, with every other trait as a custom attribute.
    /// Held like track and page until the user's group is known, since ClientSuccess keeps no
    /// data without an organization. The user's name and email are remembered at once, for
    /// their later track and page calls, which carry no traits of their own.
    static func identify(_ event: Event, settings: ClientSuccessSettings, context: MappingContext) async throws -> MappingOutcome {
        guard let userId = event.userId else { return .skipped(reason: missingUserId) }
        let traits = event.traits
        let user = ClientSuccessBodies.identifiedUser(userId: userId, traits: traits)
        let memory = ClientSuccessMemory(state: context.state)
        memory.rememberUser(userId, user)
        guard let organization = memory.organization(of: userId) else { return waitForGroup(userId) }
        let body = ClientSuccessBodies.identify(organization: organization, user: user, traits: traits)
        let request = settings.collector.request(path: "identify", body: body)
        try await ClientSuccessAPI.send(request, context: context)
        return .delivered
    }

    /// group: `groupId` and `name` are both required. On success the user's group is
    /// remembered, which releases their held calls.
    static func group(_ event: Event, settings: ClientSuccessSettings, context: MappingContext) async throws -> MappingOutcome {
        // The call's own traits describe the group; context.traits describe the user.
        let traits = event["traits"]?.objectValue ?? JSONObject()
        let name = traits["name"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        guard let groupId = event.groupId, let name else {
            let missing = [event.groupId == nil ? "groupId" : nil, name == nil ? "group name (traits.name)" : nil]
            return .skipped(reason: "ClientSuccess requires a groupId and a group name; this call has no "
                + missing.compactMap { $0 }.joined(separator: " and no "))
        }
        guard let userId = event.userId else { return .skipped(reason: missingUserId) }
        let memory = ClientSuccessMemory(state: context.state)
        let organization = ClientSuccessBodies.Organization(id: groupId, name: name)
        let user = memory.user(userId, contextTraits: event.context["traits"]?.objectValue)
        let body = ClientSuccessBodies.group(organization: organization, user: user, traits: traits)
        let request = settings.collector.request(path: "group", body: body)
        try await ClientSuccessAPI.send(request, context: context)
        memory.rememberOrganization(organization, of: userId)
        return .delivered
    }

    /// track and page: a custom event counted once for the user and their organization. The
    /// collector's events body has no place for properties, so they are not sent.
    static func customEvent(_ event: Event, settings: ClientSuccessSettings, context: MappingContext) async throws -> MappingOutcome {
        guard let userId = event.userId else { return .skipped(reason: missingUserId) }
        let memory = ClientSuccessMemory(state: context.state)
        guard let organization = memory.organization(of: userId) else { return waitForGroup(userId) }
        let name = event.type == .page ? ClientSuccessBodies.pageEventName(event) : event.event ?? ""
        guard !name.isEmpty else { return .skipped(reason: "a track call needs an event name") }
        let user = memory.user(userId, contextTraits: event.context["traits"]?.objectValue)
        let body = ClientSuccessBodies.customEvent(organization: organization, user: user)
        let request = settings.collector.request(path: "events/" + URLEncoding.component(name), body: body)
        try await ClientSuccessAPI.send(request, context: context)
        return .delivered
    }

    static let missingUserId = "ClientSuccess identifies users by userId, and this call has only an anonymousId"

    static func waitForGroup(_ userId: String) -> MappingOutcome {
        .held(reason: "waiting for \(userId)'s group call", releaseKey: releaseKey(forUser: userId))
    }
}

/// Collector requests: the API key travels in the query string, so it is listed in the
/// request's secrets and masked by `redacted()`.
///
/// Only the events endpoint is documented. For identify and group, which the doc lists but the
/// collector's public reference does not describe, Sluice posts the same `identity` form to the
/// sibling paths `/collector/1.0.0/projects/{projectId}/identify` and `/group`.
struct ClientSuccessAPI: Sendable, CustomStringConvertible, CustomReflectable {
    /// `{base}/collector/1.0.0/projects/{projectId}/`
    let prefix: String
    /// `?api_key={key}`
    private let query: String
    private let secrets: [Secret]
    private static let headers: HTTPHeaders = ["Accept": "application/json", "Content-Type": "application/json"]

    init(baseURL: String, projectId: String, apiKey: Secret) {
        prefix = baseURL + "/collector/" + ClientSuccess.collectorVersion + "/projects/" + URLEncoding.component(projectId) + "/"
        query = "?api_key=" + URLEncoding.component(apiKey.reveal())
        secrets = [apiKey]
    }

    /// The body is attached after `HTTPRequest.init`, which would otherwise look for a
    /// Content-Type header with Foundation's slow case-insensitive compare.
    func request(path: String, body: JSONObject) -> HTTPRequest {
        var request = HTTPRequest(.POST, prefix + path + query, headers: Self.headers, secrets: secrets)
        request.body = .json(.object(body))
        return request
    }

    // Settings hold this, and they get dumped and logged: the key shows masked.
    var description: String { prefix + "…?api_key=" + secrets[0].masked }
    var customMirror: Mirror { Mirror(self, children: ["url": description]) }

    /// The collector answers `{created: true}`; `{created: false}` is a refusal even under a 2xx.
    static func send(_ request: HTTPRequest, context: MappingContext) async throws {
        let response = try await context.sendExpectingSuccess(request)
        if response.json?["created"]?.boolValue == false {
            throw HTTPStepFailure(request: request, response: response)
        }
    }
}

/// What ClientSuccess mappings remember between calls, in the destination's mapping state:
/// `clientsuccess.group:<userId>` → `{id, name}` of the user's latest group, and
/// `clientsuccess.user:<userId>` → `{name, email}` from the user's latest identify.
struct ClientSuccessMemory {
    let state: MappingState

    func organization(of userId: String) -> ClientSuccessBodies.Organization? {
        guard let stored = state.value(for: ClientSuccess.releaseKey(forUser: userId)),
              let id = stored["id"]?.stringValue, let name = stored["name"]?.stringValue
        else { return nil }
        return ClientSuccessBodies.Organization(id: id, name: name)
    }

    func rememberOrganization(_ organization: ClientSuccessBodies.Organization, of userId: String) {
        state.setValue(["id": .string(organization.id), "name": .string(organization.name)], for: ClientSuccess.releaseKey(forUser: userId))
    }

    func rememberUser(_ userId: String, _ user: ClientSuccessBodies.User) {
        var facts = JSONObject()
        if let name = user.name { facts.appendUnique("name", .string(name)) }
        if let email = user.email { facts.appendUnique("email", .string(email)) }
        guard !facts.isEmpty else { return }
        state.setValue(.object(facts), for: "clientsuccess.user:" + userId)
    }

    /// The user as a track, page or group call can describe them: the call's context.traits
    /// first, then what their identify said.
    func user(_ userId: String, contextTraits: JSONObject?) -> ClientSuccessBodies.User {
        let fromCall = contextTraits.map { ClientSuccessBodies.identifiedUser(userId: userId, traits: $0) }
        let remembered = state.value(for: "clientsuccess.user:" + userId)
        return ClientSuccessBodies.User(
            id: userId,
            name: fromCall?.name ?? remembered?["name"]?.stringValue,
            email: fromCall?.email ?? remembered?["email"]?.stringValue,
            firstName: fromCall?.firstName,
            lastName: fromCall?.lastName
        )
    }
}

/// Request bodies, built from plain values.
enum ClientSuccessBodies {
    struct Organization: Equatable {
        let id: String
        let name: String
    }

    struct User: Equatable {
        let id: String
        var name: String?
        var email: String?
        var firstName: String?
        var lastName: String?
    }

    /// Traits with a place in the identity; the rest are custom attributes.
    static let identityTraits: Set<String> = ["name", "email", "firstName", "lastName", "first_name", "last_name"]

    static func identifiedUser(userId: String, traits: JSONObject) -> User {
        func text(_ key: String) -> String? {
            guard let value = traits[key]?.stringValue, !value.isEmpty else { return nil }
            return value
        }
        let firstName = text("firstName") ?? text("first_name")
        let lastName = text("lastName") ?? text("last_name")
        let joined = [firstName, lastName].compactMap { $0 }.joined(separator: " ")
        return User(id: userId, name: text("name") ?? (joined.isEmpty ? nil : joined), email: text("email"),
                    firstName: firstName, lastName: lastName)
    }

    static func identity(_ organization: Organization, _ user: User) -> JSON {
        var userObject = JSONObject()
        userObject.appendUnique("id", .string(user.id))
        if let name = user.name { userObject.appendUnique("name", .string(name)) }
        if let email = user.email { userObject.appendUnique("email", .string(email)) }
        if let firstName = user.firstName { userObject.appendUnique("firstName", .string(firstName)) }
        if let lastName = user.lastName { userObject.appendUnique("lastName", .string(lastName)) }
        return ["organization": ["id": .string(organization.id), "name": .string(organization.name)], "user": .object(userObject)]
    }

    /// `{identity, attributes}`: custom attributes beside the identity, as the events body puts
    /// `value` beside it.
    static func identify(organization: Organization, user: User, traits: JSONObject) -> JSONObject {
        var body: JSONObject = ["identity": identity(organization, user)]
        let attributes = JSONObject(traits.entries.filter { !identityTraits.contains($0.key) })
        if !attributes.isEmpty { body.appendUnique("attributes", .object(attributes)) }
        return body
    }

    static func group(organization: Organization, user: User, traits: JSONObject) -> JSONObject {
        var body: JSONObject = ["identity": identity(organization, user)]
        let attributes = JSONObject(traits.entries.filter { $0.key != "name" })
        if !attributes.isEmpty { body.appendUnique("attributes", .object(attributes)) }
        return body
    }

    /// The documented events body; the events endpoint takes only the user's id, name and email.
    static func customEvent(organization: Organization, user: User) -> JSONObject {
        var userObject = JSONObject()
        userObject.appendUnique("id", .string(user.id))
        if let name = user.name { userObject.appendUnique("name", .string(name)) }
        if let email = user.email { userObject.appendUnique("email", .string(email)) }
        return [
            "identity": ["organization": ["id": .string(organization.id), "name": .string(organization.name)], "user": .object(userObject)],
            "value": 1,
        ]
    }

    /// A page becomes the custom event "Viewed <category> <name> Page", Segment's own naming for
    /// pages sent as events, or "Loaded a Page" when the page has neither.
    static func pageEventName(_ event: Event) -> String {
        let fullName = [event.category, event.name].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " ")
        return fullName.isEmpty ? "Loaded a Page" : "Viewed \(fullName) Page"
    }
}
