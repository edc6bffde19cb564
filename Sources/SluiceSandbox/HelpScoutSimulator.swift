import Foundation
import SluiceSpec
import Synchronization

/// Help Scout's Inbox API 2.0, the customer endpoints and the OAuth token endpoint. Replies are
/// HAL+JSON; creates answer 201 with `Location` and `Resource-ID`, updates 204.
final class HelpScoutSimulator: APISimulator {
    /// The customer-entity fields `PUT /v2/customers/{id}` overwrites (a missing one is cleared).
    static let entityFields = ["firstName", "lastName", "photoUrl", "photoType", "jobTitle", "location",
                               "background", "age", "gender", "organization", "organizationId"]
    /// Help Scout's documented field lengths.
    static let maxLengths = ["firstName": 40, "lastName": 40, "jobTitle": 60, "location": 60, "organization": 60, "background": 200]
    static let emailTypes: Set<String> = ["home", "work", "other"]
    static let phoneTypes: Set<String> = ["home", "fax", "mobile", "pager", "work", "other"]
    static let halJSON = "application/hal+json;charset=UTF-8"
    static let pageSize = 50

    struct Entry: Sendable {
        let id: Int
        var type: String?
        var value: String
    }

    struct Customer: Sendable {
        let id: Int
        var fields: JSONObject
        var emails: [Entry] = []
        var phones: [Entry] = []
        var websites: [Entry] = []
        var address: JSONObject?
        var properties = JSONObject()
        let createdAt: Date
        var updatedAt: Date
    }

    struct State: Sendable {
        var customers: [Int: Customer] = [:]
        var nextCustomerId = 100_000_001
        var nextEntryId = 5_000_001
        /// OAuth access token → expiry.
        var tokens: [String: Date] = [:]
        var random = SeededRandom.unseeded()
    }

    let routes = RouteTable([
        ("POST", "/v2/oauth2/token"),
        ("GET", "/v2/customers"),
        ("POST", "/v2/customers"),
        ("GET", "/v2/customers/{id}"),
        ("PUT", "/v2/customers/{id}"),
        ("POST", "/v2/customers/{id}/emails"),
        ("POST", "/v2/customers/{id}/phones"),
        ("POST", "/v2/customers/{id}/websites"),
        ("GET", "/v2/customers/{id}/address"),
        ("POST", "/v2/customers/{id}/address"),
        ("PUT", "/v2/customers/{id}/address"),
        ("PATCH", "/v2/customers/{id}/properties"),
    ])

    private let credentials: SandboxCredentials
    private let options: SimulatorOptions
    private let state = Mutex(State())

    init(credentials: SandboxCredentials, options: SimulatorOptions) {
        self.credentials = credentials
        self.options = options
    }

    // MARK: - Authentication

    func isPublic(_ route: RouteKey) -> Bool { route.template == "/v2/oauth2/token" }

    func authenticate(_ request: SandboxRequest, now: Date) -> SandboxResponse? {
        guard let token = BearerToken.from(request.header("Authorization")) else {
            return unauthorized("Authorization header with a Bearer token is required")
        }
        if secretsMatch(token, credentials.helpScoutAPIKey) { return nil }
        let expiry = state.withLock { $0.tokens[token] }
        guard let expiry else { return unauthorized("Invalid access token") }
        return now < expiry ? nil : unauthorized("Expired access token")
    }

    private func unauthorized(_ detail: String) -> SandboxResponse {
        error(401, "Unauthorized", errors: [("Authorization", detail, "HEADER")])
    }

    /// `POST /v2/oauth2/token`, client credentials in a form (or JSON) body.
    private func issueToken(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        var fields: [String: String] = [:]
        if let json = request.json?.objectValue {
            for entry in json { fields[entry.key] = entry.value.scalarText }
        } else {
            for pair in FormEncoding.decode(String(decoding: request.body, as: UTF8.self)) { fields[pair.name] = pair.value }
        }
        guard fields["grant_type"] == "client_credentials" else {
            return .json(400, ["error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"])
        }
        guard let id = fields["client_id"], let secret = fields["client_secret"],
              secretsMatch(id, credentials.helpScoutAppId), secretsMatch(secret, credentials.helpScoutAppSecret)
        else {
            return .json(401, ["error": "invalid_client", "error_description": "Bad client credentials"])
        }
        let lifetime = options.helpScoutTokenLifetime.seconds
        let token = state.withLock { state in
            let token = state.random.hex(20)
            state.tokens = state.tokens.filter { $0.value > now }
            state.tokens[token] = now.addingTimeInterval(lifetime)
            return token
        }
        return .json(200, ["token_type": "bearer", "access_token": .string(token), "expires_in": .int(Int64(lifetime.rounded()))])
    }

    // MARK: - Routes

    func handle(_ match: RouteMatch, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        if match.key.template == "/v2/oauth2/token" { return issueToken(request, now: now) }
        if match.key.template == "/v2/customers" {
            return match.key.method == "GET" ? searchCustomers(request) : createCustomer(request, now: now)
        }
        guard let id = Int(match["id"]), state.withLock({ $0.customers[id] != nil }) else {
            return error(404, "Resource not found")
        }
        switch (match.key.method, match.key.template) {
        case ("GET", "/v2/customers/{id}"):
            return state.withLock { .json(200, .object(customerJSON($0.customers[id]!, baseURL: request.baseURL)), contentType: Self.halJSON) }
        case ("PUT", "/v2/customers/{id}"):
            return overwriteCustomer(id, request, now: now)
        case ("POST", "/v2/customers/{id}/emails"):
            return addEntry(id, request, now: now, kind: "emails", types: Self.emailTypes, validate: EmailAddress.isPlausible)
        case ("POST", "/v2/customers/{id}/phones"):
            return addEntry(id, request, now: now, kind: "phones", types: Self.phoneTypes, validate: { !$0.isEmpty })
        case ("POST", "/v2/customers/{id}/websites"):
            return addEntry(id, request, now: now, kind: "websites", types: nil, validate: { !$0.isEmpty })
        case ("GET", "/v2/customers/{id}/address"):
            guard let address = state.withLock({ $0.customers[id]?.address }) else { return error(404, "Resource not found") }
            return .json(200, .object(address), contentType: Self.halJSON)
        case ("PUT", "/v2/customers/{id}/address"), ("POST", "/v2/customers/{id}/address"):
            return saveAddress(id, request, now: now, creating: match.key.method == "POST")
        case ("PATCH", "/v2/customers/{id}/properties"):
            return patchProperties(id, request, now: now)
        default:
            return error(404, "Resource not found")
        }
    }

    /// `GET /v2/customers`, optionally with `query=(field:"value")` for email, firstName,
    /// lastName or phone; `page` counts from 1.
    private func searchCustomers(_ request: SandboxRequest) -> SandboxResponse {
        var filter: ((Customer) -> Bool)?
        if let query = request.queryValue("query"), !query.isEmpty {
            guard let clause = Self.parseQuery(query) else {
                return error(400, "Bad request", errors: [("query", "Unsupported query syntax; use (field:\"value\")", "PARAMETER")])
            }
            let wanted = clause.value.lowercased()
            switch clause.field {
            case "email": filter = { $0.emails.contains { $0.value.lowercased() == wanted } }
            case "phone": filter = { $0.phones.contains { $0.value.lowercased() == wanted } }
            case "firstName", "lastName": filter = { $0.fields[clause.field]?.stringValue?.lowercased() == wanted }
            default:
                return error(400, "Bad request", errors: [("query", "Unknown search field \(clause.field)", "PARAMETER")])
            }
        }
        let page = max(1, Int(request.queryValue("page") ?? "") ?? 1)
        return state.withLock { state in
            let matches = state.customers.values.sorted { $0.id < $1.id }.filter { filter?($0) ?? true }
            let slice = matches.dropFirst((page - 1) * Self.pageSize).prefix(Self.pageSize)
            let totalPages = max(1, (matches.count + Self.pageSize - 1) / Self.pageSize)
            let body: JSON = [
                "_embedded": ["customers": .array(slice.map { .object(customerJSON($0, baseURL: request.baseURL)) })],
                "_links": ["self": ["href": .string(request.baseURL + "/v2/customers")]],
                "page": ["size": .int(Int64(Self.pageSize)), "totalElements": .int(Int64(matches.count)),
                         "totalPages": .int(Int64(totalPages)), "number": .int(Int64(page))],
            ]
            return .json(200, body, contentType: Self.halJSON)
        }
    }

    /// `(email:"jane@example.com")` → ("email", "jane@example.com").
    static func parseQuery(_ query: String) -> (field: String, value: String)? {
        var text = Substring(query.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("("), text.hasSuffix(")") { text = text.dropFirst().dropLast() }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let field = text[..<colon].trimmingCharacters(in: .whitespaces)
        var value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        guard !field.isEmpty, !value.isEmpty, !value.contains("\"") else { return nil }
        return (field, value)
    }

    private func createCustomer(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "Bad request", errors: [("", "Request body must be a JSON object", "JSON")]) }
        var problems = Self.validateEntity(body)
        let emails = Self.entries(body["emails"], path: "emails", types: Self.emailTypes, validate: EmailAddress.isPlausible, problems: &problems)
        let phones = Self.entries(body["phones"], path: "phones", types: Self.phoneTypes, validate: { !$0.isEmpty }, problems: &problems)
        let websites = Self.entries(body["websites"], path: "websites", types: nil, validate: { !$0.isEmpty }, problems: &problems)
        var address: JSONObject?
        if let value = body["address"], !value.isNull {
            if let object = value.objectValue { address = object } else { problems.append(("address", "Must be an object", "JSON")) }
        }
        let properties = Self.createProperties(body["properties"], known: options.helpScoutPropertySlugs, problems: &problems)
        guard problems.isEmpty else { return error(400, "Bad request", errors: problems) }

        let id: Int = state.withLock { state in
            let id = state.nextCustomerId
            state.nextCustomerId += 1
            var customer = Customer(id: id, fields: Self.entityOnly(body), address: address, properties: properties, createdAt: now, updatedAt: now)
            customer.emails = emails.map { Entry(id: state.takeEntryId(), type: $0.type, value: $0.value) }
            customer.phones = phones.map { Entry(id: state.takeEntryId(), type: $0.type, value: $0.value) }
            customer.websites = websites.map { Entry(id: state.takeEntryId(), type: nil, value: $0.value) }
            state.customers[id] = customer
            return id
        }
        return created(location: request.baseURL + "/v2/customers/\(id)", id: id)
    }

    private func overwriteCustomer(_ id: Int, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "Bad request", errors: [("", "Request body must be a JSON object", "JSON")]) }
        let problems = Self.validateEntity(body)
        guard problems.isEmpty else { return error(400, "Bad request", errors: problems) }
        state.withLock { state in
            state.customers[id]?.fields = Self.entityOnly(body)
            state.customers[id]?.updatedAt = now
        }
        return .empty(204)
    }

    private func addEntry(_ id: Int, _ request: SandboxRequest, now: Date, kind: String, types: Set<String>?,
                          validate: (String) -> Bool) -> SandboxResponse {
        var problems: [(String, String, String)] = []
        let parsed = Self.entries(request.json.map { .array([$0]) }, path: kind, types: types, validate: validate, problems: &problems)
        guard problems.isEmpty, let entry = parsed.first else {
            return error(400, "Bad request", errors: problems.isEmpty ? [("value", "A value is required", "JSON")] : problems)
        }
        let entryId: Int = state.withLock { state in
            let entryId = state.takeEntryId()
            let stored = Entry(id: entryId, type: types == nil ? nil : entry.type, value: entry.value)
            switch kind {
            case "emails": state.customers[id]?.emails.append(stored)
            case "phones": state.customers[id]?.phones.append(stored)
            default: state.customers[id]?.websites.append(stored)
            }
            state.customers[id]?.updatedAt = now
            return entryId
        }
        return created(location: request.baseURL + "/v2/customers/\(id)/\(kind)/\(entryId)", id: entryId)
    }

    private func saveAddress(_ id: Int, _ request: SandboxRequest, now: Date, creating: Bool) -> SandboxResponse {
        guard let address = request.json?.objectValue else {
            return error(400, "Bad request", errors: [("", "Request body must be an address object", "JSON")])
        }
        if let lines = address["lines"], lines.arrayValue == nil {
            return error(400, "Bad request", errors: [("lines", "Must be an array of strings", "JSON")])
        }
        let exists = state.withLock { $0.customers[id]?.address != nil }
        if !creating, !exists { return error(404, "Resource not found") }
        state.withLock { state in
            state.customers[id]?.address = address
            state.customers[id]?.updatedAt = now
        }
        return creating ? created(location: request.baseURL + "/v2/customers/\(id)/address", id: id) : .empty(204)
    }

    /// JSON Patch with `replace` and `remove` operations on `/slug` paths.
    private func patchProperties(_ id: Int, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let operations = request.json?.arrayValue else {
            return error(400, "Bad request", errors: [("", "Request body must be an array of patch operations", "JSON")])
        }
        var problems: [(String, String, String)] = []
        var changes: [(slug: String, value: JSON?)] = []
        for (index, operation) in operations.enumerated() {
            let op = operation["op"]?.stringValue
            guard let path = operation["path"]?.stringValue, path.hasPrefix("/"), path.count > 1 else {
                problems.append(("[\(index)].path", "Must be /{property slug}", "JSON"))
                continue
            }
            let slug = String(path.dropFirst())
            if let known = options.helpScoutPropertySlugs, !known.contains(slug) {
                problems.append(("[\(index)].path", "Unknown customer property \(slug)", "JSON"))
                continue
            }
            switch op {
            case "replace"?:
                guard let value = operation["value"], !value.isContainer else {
                    problems.append(("[\(index)].value", "A replace needs a scalar value", "JSON"))
                    continue
                }
                changes.append((slug, value))
            case "remove"?:
                changes.append((slug, nil))
            default:
                problems.append(("[\(index)].op", "Must be replace or remove", "JSON"))
            }
        }
        guard problems.isEmpty else { return error(400, "Bad request", errors: problems) }
        state.withLock { state in
            for change in changes { state.customers[id]?.properties[change.slug] = change.value }
            state.customers[id]?.updatedAt = now
        }
        return .empty(204)
    }

    // MARK: - Validation

    private static func validateEntity(_ body: JSONObject) -> [(String, String, String)] {
        var problems: [(String, String, String)] = []
        for (field, limit) in maxLengths.sorted(by: { $0.key < $1.key }) {
            guard let value = body[field], !value.isNull else { continue }
            guard let text = value.stringValue else {
                problems.append((field, "Must be a string", "JSON"))
                continue
            }
            if text.count > limit { problems.append((field, "Must be at most \(limit) characters", "JSON")) }
        }
        return problems
    }

    private static func entityOnly(_ body: JSONObject) -> JSONObject {
        var fields = JSONObject()
        for field in entityFields {
            if let value = body[field], !value.isNull { fields.appendUnique(field, value) }
        }
        return fields
    }

    private static func entries(_ value: JSON?, path: String, types: Set<String>?, validate: (String) -> Bool,
                                problems: inout [(String, String, String)]) -> [(type: String?, value: String)] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            problems.append((path, "Must be an array", "JSON"))
            return []
        }
        var result: [(type: String?, value: String)] = []
        for (index, item) in items.enumerated() {
            guard let text = item["value"]?.stringValue, validate(text) else {
                problems.append(("\(path)[\(index)].value", "Invalid value", "JSON"))
                continue
            }
            let type = item["type"]?.stringValue
            if let types {
                guard let type, types.contains(type) else {
                    problems.append(("\(path)[\(index)].type", "Must be one of \(types.sorted().joined(separator: ", "))", "JSON"))
                    continue
                }
            }
            result.append((type, text))
        }
        return result
    }

    private static func createProperties(_ value: JSON?, known: Set<String>?, problems: inout [(String, String, String)]) -> JSONObject {
        guard let value, !value.isNull else { return [:] }
        guard let items = value.arrayValue else {
            problems.append(("properties", "Must be an array", "JSON"))
            return [:]
        }
        var properties = JSONObject()
        for (index, item) in items.enumerated() {
            guard let slug = item["slug"]?.nonEmptyString, let propertyValue = item["value"], !propertyValue.isContainer else {
                problems.append(("properties[\(index)]", "Needs a slug and a scalar value", "JSON"))
                continue
            }
            if let known, !known.contains(slug) {
                problems.append(("properties[\(index)].slug", "Unknown customer property \(slug)", "JSON"))
                continue
            }
            properties[slug] = propertyValue
        }
        return properties
    }

    // MARK: - Replies

    private func created(location: String, id: Int) -> SandboxResponse {
        SandboxResponse(status: 201, headers: [("Location", location), ("Resource-ID", String(id))])
    }

    private func customerJSON(_ customer: Customer, baseURL: String) -> JSONObject {
        var object: JSONObject = ["id": .int(Int64(customer.id))]
        for field in Self.entityFields {
            object.appendUnique(field, customer.fields[field] ?? (field == "gender" ? "unknown" : .null))
        }
        object.appendUnique("createdAt", .string(ISO8601.seconds(customer.createdAt)))
        object.appendUnique("updatedAt", .string(ISO8601.seconds(customer.updatedAt)))
        var embedded: JSONObject = [
            "emails": .array(customer.emails.map { ["id": .int(Int64($0.id)), "value": .string($0.value), "type": .string($0.type ?? "other")] }),
            "phones": .array(customer.phones.map { ["id": .int(Int64($0.id)), "value": .string($0.value), "type": .string($0.type ?? "other")] }),
            "websites": .array(customer.websites.map { ["id": .int(Int64($0.id)), "value": .string($0.value)] }),
            "chats": [], "social_profiles": [],
        ]
        if let address = customer.address { embedded.appendUnique("address", .object(address)) }
        embedded.appendUnique("properties", .array(customer.properties.map { ["slug": .string($0.key), "value": $0.value] }))
        object.appendUnique("_embedded", .object(embedded))
        object.appendUnique("_links", ["self": ["href": .string(baseURL + "/v2/customers/\(customer.id)")]])
        return object
    }

    /// `{logRef, message, _embedded: {errors: [{path, message, source}]}}`.
    private func error(_ status: Int, _ message: String, errors: [(String, String, String)] = []) -> SandboxResponse {
        let logRef = state.withLock { "\($0.random.hex(4))#\($0.random.next() % 100_000)" }
        let details: [JSON] = errors.map { ["path": .string($0.0), "message": .string($0.1), "source": .string($0.2)] }
        return .json(status, ["logRef": .string(logRef), "message": .string(message), "_embedded": ["errors": .array(details)]],
                     contentType: Self.halJSON)
    }

    func errorResponse(status: Int, message: String) -> SandboxResponse { error(status, message) }

    // MARK: - Rate limits

    /// The per-minute window in both header families Help Scout has used.
    func rateLimitHeaders(_ statuses: [RateLimitStatus], now: Date) -> [(name: String, value: String)] {
        guard let minute = statuses.first(where: { !$0.window.writesOnly }) else { return [] }
        return Self.headers(minute)
    }

    private static func headers(_ minute: RateLimitStatus) -> [(name: String, value: String)] {
        [("X-RateLimit-Limit", String(minute.limit)), ("X-RateLimit-Remaining", String(minute.remaining)),
         ("X-RateLimit-Reset", String(Int64(minute.resetAt.timeIntervalSince1970))),
         ("X-RateLimit-Limit-Minute", String(minute.limit)), ("X-RateLimit-Remaining-Minute", String(minute.remaining))]
    }

    func tooManyRequests(_ refusal: RateLimitRefusal, now: Date) -> SandboxResponse {
        var response = error(429, "Too many requests: the \(refusal.windowName) rate limit of \(refusal.limit) is used up")
        if let minute = refusal.statuses.first(where: { !$0.window.writesOnly }) {
            let shown = RateLimitStatus(window: minute.window, limit: minute.limit,
                                        remaining: refusal.windowName == minute.window.name || refusal.windowName == "storm" ? 0 : minute.remaining,
                                        resetAt: minute.resetAt)
            response.headers += Self.headers(shown)
        }
        response.headers.append(("X-RateLimit-Retry-After", String(refusal.retryAfterSeconds)))
        return response
    }

    // MARK: - State

    func stateJSON() -> JSON {
        state.withLock { state in
            let customers = state.customers.values.sorted { $0.id < $1.id }.map { JSON.object(customerJSON($0, baseURL: "")) }
            return ["customers": .array(customers), "activeTokens": .int(Int64(state.tokens.count))]
        }
    }

    func reset() {
        state.withLock { $0 = State() }
    }
}

extension HelpScoutSimulator.State {
    mutating func takeEntryId() -> Int {
        defer { nextEntryId += 1 }
        return nextEntryId
    }
}
