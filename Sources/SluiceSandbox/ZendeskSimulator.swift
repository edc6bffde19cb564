import Foundation
import SluiceSpec
import Synchronization

/// Zendesk Support API: users, organizations and organization memberships, with
/// `create_or_update` matching as Zendesk does (users by external_id then email,
/// organizations by id then external_id). Errors are `{error, description, details}`.
final class ZendeskSimulator: APISimulator {
    struct State: Sendable {
        var users: [Int64: JSONObject] = [:]
        var organizations: [Int64: JSONObject] = [:]
        var memberships: [Int64: JSONObject] = [:]
        var nextId: Int64 = 360_000_000_001
    }

    let routes = RouteTable([
        ("GET", "/api/v2/users/search.json"),
        ("POST", "/api/v2/users/create_or_update.json"),
        ("GET", "/api/v2/users/{id}.json"),
        ("GET", "/api/v2/users/{id}/organization_memberships.json"),
        ("GET", "/api/v2/organizations/search.json"),
        ("POST", "/api/v2/organizations/create_or_update.json"),
        ("GET", "/api/v2/organizations/{id}.json"),
        ("GET", "/api/v2/organization_memberships.json"),
        ("POST", "/api/v2/organization_memberships.json"),
    ], optionalSuffix: ".json")

    /// User fields `create_or_update` stores; anything else in the body is ignored, as Zendesk does.
    static let userFields = ["name", "email", "external_id", "verified", "phone", "time_zone", "locale", "locale_id",
                             "role", "details", "notes", "alias", "tags", "user_fields", "organization_id"]
    static let organizationFields = ["name", "external_id", "domain_names", "details", "notes", "tags", "organization_fields"]

    private let credentials: SandboxCredentials
    private let state = Mutex(State())

    init(credentials: SandboxCredentials) {
        self.credentials = credentials
    }

    // MARK: - Authentication

    /// Basic `email:password`, or `email/token:api_token`.
    func authenticate(_ request: SandboxRequest, now: Date) -> SandboxResponse? {
        if let basic = BasicCredentials(authorization: request.header("Authorization")) {
            let email = credentials.zendeskEmail.lowercased()
            if basic.user.lowercased() == email, secretsMatch(basic.password, credentials.zendeskPassword) { return nil }
            if basic.user.lowercased() == email + "/token", secretsMatch(basic.password, credentials.zendeskAPIToken) { return nil }
        }
        return .json(401, ["error": "Couldn't authenticate you"])
    }

    // MARK: - Routes

    func handle(_ match: RouteMatch, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        switch (match.key.method, match.key.template) {
        case ("GET", "/api/v2/users/search.json"): return searchUsers(request)
        case ("POST", "/api/v2/users/create_or_update.json"): return upsertUser(request, now: now)
        case ("GET", "/api/v2/users/{id}.json"):
            return record(\.users, match["id"], key: "user")
        case ("GET", "/api/v2/users/{id}/organization_memberships.json"):
            guard let userId = Int64(match["id"]) else { return notFound() }
            return state.withLock { state in
                let list = state.memberships.values.filter { $0["user_id"]?.integerValue == userId }.sorted(by: Self.byId)
                return Self.list("organization_memberships", list)
            }
        case ("GET", "/api/v2/organizations/search.json"): return searchOrganizations(request)
        case ("POST", "/api/v2/organizations/create_or_update.json"): return upsertOrganization(request, now: now)
        case ("GET", "/api/v2/organizations/{id}.json"):
            return record(\.organizations, match["id"], key: "organization")
        case ("GET", "/api/v2/organization_memberships.json"):
            return state.withLock { Self.list("organization_memberships", $0.memberships.values.sorted(by: Self.byId)) }
        case ("POST", "/api/v2/organization_memberships.json"): return createMembership(request, now: now)
        default: return notFound()
        }
    }

    /// `query=email:…`, `query=external_id:…`, or free text matched against names and emails;
    /// or the `external_id` parameter.
    private func searchUsers(_ request: SandboxRequest) -> SandboxResponse {
        let filter: (JSONObject) -> Bool
        if let externalId = request.queryValue("external_id") {
            filter = { $0["external_id"]?.stringValue == externalId }
        } else if let query = request.queryValue("query")?.trimmingCharacters(in: .whitespaces), !query.isEmpty {
            if query.lowercased().hasPrefix("email:") {
                let email = query.dropFirst(6).trimmingCharacters(in: .whitespaces).lowercased()
                filter = { $0["email"]?.stringValue?.lowercased() == email }
            } else if query.lowercased().hasPrefix("external_id:") {
                let externalId = query.dropFirst(12).trimmingCharacters(in: .whitespaces)
                filter = { $0["external_id"]?.stringValue == externalId }
            } else {
                let text = query.lowercased()
                filter = { user in
                    [user["name"], user["email"]].contains { $0?.stringValue?.lowercased().contains(text) == true }
                }
            }
        } else {
            return error(400, "InvalidEndpoint", "Search requires a query or external_id parameter")
        }
        return state.withLock { Self.list("users", $0.users.values.filter(filter).sorted(by: Self.byId)) }
    }

    private func searchOrganizations(_ request: SandboxRequest) -> SandboxResponse {
        let filter: (JSONObject) -> Bool
        if let externalId = request.queryValue("external_id") {
            filter = { $0["external_id"]?.stringValue == externalId }
        } else if let name = request.queryValue("name") {
            filter = { $0["name"]?.stringValue?.lowercased() == name.lowercased() }
        } else {
            return error(400, "InvalidEndpoint", "Organization search requires the external_id or name parameter")
        }
        return state.withLock { Self.list("organizations", $0.organizations.values.filter(filter).sorted(by: Self.byId)) }
    }

    /// Matches by external_id, then email; 200 when it updated, 201 when it created.
    private func upsertUser(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?["user"]?.objectValue else {
            return error(400, "InvalidEndpoint", "The body must be {\"user\": {...}}")
        }
        let externalId = body["external_id"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        let email = body["email"]?.nonEmptyString
        guard externalId != nil || email != nil else {
            return invalid(["email": ("Email or external_id is required to create or update a user", "InvalidValue")])
        }
        if let email, !EmailAddress.isPlausible(email) {
            return invalid(["email": ("Email: \(email) is not properly formatted", "InvalidFormat")])
        }
        if let name = body["name"], !name.isNull, name.stringValue == nil {
            return invalid(["name": ("Name: must be a string", "InvalidValue")])
        }
        enum Outcome { case saved(JSONObject, created: Bool), nameMissing }
        let outcome: Outcome = state.withLock { state in
            let existing = state.users.values.first { externalId != nil && $0["external_id"]?.scalarText == externalId }
                ?? state.users.values.first { email != nil && $0["email"]?.stringValue?.lowercased() == email?.lowercased() }
            if var user = existing {
                for field in Self.userFields where field != "organization_id" {
                    guard let value = body[field] else { continue }
                    if field == "user_fields", let fields = value.objectValue {
                        var merged = user["user_fields"]?.objectValue ?? [:]
                        for entry in fields { merged[entry.key] = entry.value }
                        user["user_fields"] = .object(merged)
                    } else {
                        user[field] = value
                    }
                }
                user["updated_at"] = .string(ISO8601.seconds(now))
                let id = user["id"]!.integerValue!
                state.users[id] = user
                return .saved(user, created: false)
            }
            guard let name = body["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return .nameMissing }
            let id = state.takeId()
            var user: JSONObject = ["id": .int(id), "url": .string(request.baseURL + "/api/v2/users/\(id).json"), "name": .string(name)]
            for field in Self.userFields where field != "name" { user[field] = body[field] ?? Self.userDefault(field) }
            user["active"] = true
            user["created_at"] = .string(ISO8601.seconds(now))
            user["updated_at"] = .string(ISO8601.seconds(now))
            state.users[id] = user
            return .saved(user, created: true)
        }
        switch outcome {
        case .nameMissing:
            return invalid(["name": ("Name:  is too short (minimum is 1 character)", "BlankValue")])
        case .saved(let user, let created):
            var response = SandboxResponse.json(created ? 201 : 200, ["user": .object(user)])
            if created, let url = user["url"]?.stringValue { response.headers.append(("Location", url)) }
            return response
        }
    }

    private static func userDefault(_ field: String) -> JSON {
        switch field {
        case "role": return "end-user"
        case "verified": return false
        case "tags": return []
        case "user_fields": return [:]
        default: return .null
        }
    }

    /// Matches by id, then external_id. A new organization needs a name, and names are unique.
    private func upsertOrganization(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?["organization"]?.objectValue else {
            return error(400, "InvalidEndpoint", "The body must be {\"organization\": {...}}")
        }
        if let domains = body["domain_names"], !domains.isNull, domains.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            return invalid(["domain_names": ("Domain names: must be a list of domains", "InvalidValue")])
        }
        enum Outcome { case saved(JSONObject, created: Bool), nameMissing, nameTaken(String) }
        let outcome: Outcome = state.withLock { state in
            let id = body["id"]?.integerValue
            let externalId = body["external_id"]?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
            let existing = id.flatMap { state.organizations[$0] }
                ?? state.organizations.values.first { externalId != nil && $0["external_id"]?.scalarText == externalId }
            let existingId = existing?["id"]?.integerValue
            if let name = body["name"]?.stringValue,
               state.organizations.values.contains(where: { $0["name"]?.stringValue?.lowercased() == name.lowercased() && $0["id"]?.integerValue != existingId }) {
                return .nameTaken(name)
            }
            if var organization = existing {
                for field in Self.organizationFields {
                    guard let value = body[field] else { continue }
                    if field == "organization_fields", let fields = value.objectValue {
                        var merged = organization["organization_fields"]?.objectValue ?? [:]
                        for entry in fields { merged[entry.key] = entry.value }
                        organization["organization_fields"] = .object(merged)
                    } else {
                        organization[field] = value
                    }
                }
                organization["updated_at"] = .string(ISO8601.seconds(now))
                state.organizations[existingId!] = organization
                return .saved(organization, created: false)
            }
            guard let name = body["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return .nameMissing }
            let newId = state.takeId()
            var organization: JSONObject = ["id": .int(newId), "url": .string(request.baseURL + "/api/v2/organizations/\(newId).json"),
                                            "name": .string(name)]
            for field in Self.organizationFields where field != "name" {
                organization[field] = body[field] ?? (field == "domain_names" || field == "tags" ? [] : field == "organization_fields" ? [:] : .null)
            }
            organization["created_at"] = .string(ISO8601.seconds(now))
            organization["updated_at"] = .string(ISO8601.seconds(now))
            state.organizations[newId] = organization
            return .saved(organization, created: true)
        }
        switch outcome {
        case .nameMissing:
            return invalid(["name": ("Name: cannot be blank", "BlankValue")])
        case .nameTaken(let name):
            return invalid(["name": ("Name: \(name) has already been taken", "DuplicateValue")])
        case .saved(let organization, let created):
            return .json(created ? 201 : 200, ["organization": .object(organization)])
        }
    }

    /// Links a user to an organization; a second link of the same pair is 422 DuplicateValue.
    private func createMembership(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?["organization_membership"]?.objectValue else {
            return error(400, "InvalidEndpoint", "The body must be {\"organization_membership\": {...}}")
        }
        guard let userId = body["user_id"]?.integerValue else {
            return invalid(["user_id": ("User cannot be blank", "BlankValue")])
        }
        guard let organizationId = body["organization_id"]?.integerValue else {
            return invalid(["organization_id": ("Organization cannot be blank", "BlankValue")])
        }
        enum Outcome { case created(JSONObject), unknownUser, unknownOrganization, duplicate }
        let outcome: Outcome = state.withLock { state in
            guard state.users[userId] != nil else { return .unknownUser }
            guard state.organizations[organizationId] != nil else { return .unknownOrganization }
            let userMemberships = state.memberships.values.filter { $0["user_id"]?.integerValue == userId }
            if userMemberships.contains(where: { $0["organization_id"]?.integerValue == organizationId }) { return .duplicate }
            let id = state.takeId()
            let membership: JSONObject = [
                "id": .int(id), "url": .string(request.baseURL + "/api/v2/organization_memberships/\(id).json"),
                "user_id": .int(userId), "organization_id": .int(organizationId), "default": .bool(userMemberships.isEmpty),
                "created_at": .string(ISO8601.seconds(now)), "updated_at": .string(ISO8601.seconds(now)),
            ]
            state.memberships[id] = membership
            if userMemberships.isEmpty { state.users[userId]?["organization_id"] = .int(organizationId) }
            return .created(membership)
        }
        switch outcome {
        case .created(let membership): return .json(201, ["organization_membership": .object(membership)])
        case .unknownUser: return invalid(["user_id": ("User \(userId) does not exist", "InvalidValue")])
        case .unknownOrganization: return invalid(["organization_id": ("Organization \(organizationId) does not exist", "InvalidValue")])
        case .duplicate: return invalid(["user_id": ("User is already a member of this organization", "DuplicateValue")])
        }
    }

    // MARK: - Replies

    private func record(_ table: KeyPath<State, [Int64: JSONObject]>, _ id: String, key: String) -> SandboxResponse {
        guard let id = Int64(id), let object = state.withLock({ $0[keyPath: table][id] }) else { return notFound() }
        return .json(200, [key: .object(object)])
    }

    private static func list(_ key: String, _ records: [JSONObject]) -> SandboxResponse {
        .json(200, [key: .array(records.map(JSON.object)), "next_page": .null, "previous_page": .null, "count": .int(Int64(records.count))])
    }

    private static func byId(_ a: JSONObject, _ b: JSONObject) -> Bool {
        (a["id"]?.integerValue ?? 0) < (b["id"]?.integerValue ?? 0)
    }

    private func notFound() -> SandboxResponse { error(404, "RecordNotFound", "Not found") }

    /// 422 `RecordInvalid` with `details` per field.
    private func invalid(_ details: [String: (description: String, error: String)]) -> SandboxResponse {
        var object = JSONObject()
        for (field, detail) in details.sorted(by: { $0.key < $1.key }) {
            object[field] = [["description": .string(detail.description), "error": .string(detail.error)]]
        }
        return .json(422, ["error": "RecordInvalid", "description": "Record validation errors", "details": .object(object)])
    }

    private func error(_ status: Int, _ error: String, _ description: String) -> SandboxResponse {
        .json(status, ["error": .string(error), "description": .string(description)])
    }

    func errorResponse(status: Int, message: String) -> SandboxResponse {
        switch status {
        case 404: return error(404, "InvalidEndpoint", message)
        case 503: return error(503, "ServiceUnavailable", message)
        default: return error(status, "InternalError", message)
        }
    }

    // MARK: - Rate limits

    func rateLimitHeaders(_ statuses: [RateLimitStatus], now: Date) -> [(name: String, value: String)] {
        guard let minute = statuses.first else { return [] }
        return [("X-Rate-Limit", String(minute.limit)), ("X-Rate-Limit-Remaining", String(minute.remaining))]
    }

    /// Zendesk's 429 body is plain text, not JSON.
    func tooManyRequests(_ refusal: RateLimitRefusal, now: Date) -> SandboxResponse {
        var response = SandboxResponse.text(429, "Too Many Requests. Rate limit of \(refusal.limit) requests per minute exceeded.")
        response.headers += [("Retry-After", String(refusal.retryAfterSeconds)),
                             ("X-Rate-Limit", String(refusal.statuses.first?.limit ?? refusal.limit)), ("X-Rate-Limit-Remaining", "0")]
        return response
    }

    // MARK: - State

    func stateJSON() -> JSON {
        state.withLock { state in
            func sorted(_ table: [Int64: JSONObject]) -> JSON { .array(table.values.sorted(by: Self.byId).map(JSON.object)) }
            return ["users": sorted(state.users), "organizations": sorted(state.organizations), "organization_memberships": sorted(state.memberships)]
        }
    }

    func reset() { state.withLock { $0 = State() } }
}

extension ZendeskSimulator.State {
    mutating func takeId() -> Int64 {
        defer { nextId += 1 }
        return nextId
    }
}
