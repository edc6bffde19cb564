import Foundation
import SluiceSpec
import Synchronization

/// Intercom's REST API 2.x: contacts (search, create, update), companies, contact↔company
/// attachments and data events. Errors are `{type: "error.list", request_id, errors}`.
final class IntercomSimulator: APISimulator {
    struct Contact: Sendable {
        var object: JSONObject
        /// When the contact was created on the sandbox clock; search ignores it for a while.
        let indexedAfter: Date
        var companyIds: [String] = []
    }

    struct Event: Sendable {
        let contactId: String
        let object: JSONObject
    }

    struct State: Sendable {
        var contacts: [String: Contact] = [:]
        var contactOrder: [String] = []
        /// external_id → contact id, so lookups by user stay O(1) under load.
        var contactIdByExternalId: [String: String] = [:]

        func contact(externalId: String) -> Contact? {
            contactIdByExternalId[externalId].flatMap { contacts[$0] }
        }

        mutating func store(_ contact: Contact, id: String) {
            if let old = contacts[id]?.object["external_id"]?.scalarText { contactIdByExternalId[old] = nil }
            contacts[id] = contact
            if let external = contact.object["external_id"]?.scalarText { contactIdByExternalId[external] = id }
        }
        var companies: [String: JSONObject] = [:]
        var companyOrder: [String] = []
        var events: RecentEvents<Event>
        /// Case-folded, trimmed event names, as Intercom counts them.
        var eventNames: Set<String> = []
        var random = SeededRandom.unseeded()

        mutating func newId() -> String { random.hex(12) }
    }

    let routes = RouteTable([
        ("POST", "/contacts/search"),
        ("POST", "/contacts"),
        ("GET", "/contacts/{id}"),
        ("PUT", "/contacts/{id}"),
        ("GET", "/contacts/{id}/companies"),
        ("POST", "/contacts/{id}/companies"),
        ("DELETE", "/contacts/{id}/companies/{companyId}"),
        ("GET", "/companies"),
        ("POST", "/companies"),
        ("GET", "/companies/{id}"),
        ("POST", "/events"),
        ("GET", "/events"),
    ], reads: [RouteKey("POST", "/contacts/search")])

    static let contactFields = ["external_id", "email", "phone", "name", "avatar", "signed_up_at", "last_seen_at",
                                "owner_id", "unsubscribed_from_emails"]
    static let workspaceId = "sandbox1"

    private let credentials: SandboxCredentials
    private let options: SimulatorOptions
    private let state: Mutex<State>

    init(credentials: SandboxCredentials, options: SimulatorOptions) {
        self.credentials = credentials
        self.options = options
        state = Mutex(State(events: RecentEvents(capacity: options.eventLogCapacity)))
    }

    func authenticate(_ request: SandboxRequest, now: Date) -> SandboxResponse? {
        if let token = BearerToken.from(request.header("Authorization")), secretsMatch(token, credentials.intercomAccessToken) { return nil }
        return error(401, "unauthorized", "Access Token Invalid")
    }

    // MARK: - Routes

    func handle(_ match: RouteMatch, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        switch (match.key.method, match.key.template) {
        case ("POST", "/contacts/search"): return searchContacts(request, now: now)
        case ("POST", "/contacts"): return createContact(request, now: now)
        case ("GET", "/contacts/{id}"):
            guard let contact = state.withLock({ state in state.contacts[match["id"]].map { contactJSON($0, state) } }) else {
                return error(404, "not_found", "User Not Found")
            }
            return .json(200, .object(contact))
        case ("PUT", "/contacts/{id}"): return updateContact(match["id"], request, now: now)
        case ("GET", "/contacts/{id}/companies"): return contactCompanies(match["id"])
        case ("POST", "/contacts/{id}/companies"): return attach(match["id"], request)
        case ("DELETE", "/contacts/{id}/companies/{companyId}"): return detach(match["id"], match["companyId"])
        case ("GET", "/companies"): return findCompany(request)
        case ("POST", "/companies"): return saveCompany(request, now: now)
        case ("GET", "/companies/{id}"):
            guard let company = state.withLock({ $0.companies[match["id"]] }) else { return companyNotFound() }
            return .json(200, .object(company))
        case ("POST", "/events"): return submitEvent(request, now: now)
        case ("GET", "/events"): return listEvents(request)
        default: return error(404, "not_found", "Resource Not Found")
        }
    }

    // MARK: Contacts

    /// `POST /contacts/search` with Intercom's query language: `{field, operator, value}`
    /// clauses combined by `{operator: AND|OR, value: [...]}`.
    private func searchContacts(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let query = request.json?["query"] else { return error(400, "parameter_not_found", "query is required") }
        let predicate: ContactPredicate
        switch ContactPredicate.parse(query) {
        case .success(let parsed): predicate = parsed
        case .failure(let problem): return error(400, "parameter_invalid", problem.message)
        }
        let perPage = Int(request.json?["pagination"]?["per_page"]?.integerValue ?? 50)
        let visibleBefore = now.addingTimeInterval(-options.intercomSearchIndexLag.seconds)
        return state.withLock { state in
            let matches = state.contactOrder.compactMap { state.contacts[$0] }
                .filter { $0.indexedAfter <= visibleBefore && predicate.matches($0.object) }
            let page = matches.prefix(max(1, min(150, perPage)))
            let body: JSON = [
                "type": "list",
                "data": .array(page.map { .object(contactJSON($0, state)) }),
                "total_count": .int(Int64(matches.count)),
                "pages": ["type": "pages", "page": 1, "per_page": .int(Int64(perPage)),
                          "total_pages": .int(Int64(max(1, (matches.count + perPage - 1) / max(1, perPage))))],
            ]
            return .json(200, body)
        }
    }

    private func createContact(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "parameter_invalid", "The body must be a JSON object") }
        let role = body["role"]?.stringValue ?? "user"
        guard role == "user" || role == "lead" else { return error(400, "parameter_invalid", "role must be user or lead") }
        if let problem = validateContact(body) { return problem }
        let externalId = body["external_id"]?.scalarText
        guard role == "lead" || externalId != nil || body["email"]?.nonEmptyString != nil else {
            return error(400, "parameter_invalid", "A user needs an email or an external_id")
        }
        enum Outcome { case created(JSONObject), conflict(String) }
        let outcome: Outcome = state.withLock { state in
            if let externalId, let existing = state.contact(externalId: externalId) {
                return .conflict(existing.object["id"]?.stringValue ?? "")
            }
            let id = state.newId()
            var object: JSONObject = ["type": "contact", "id": .string(id), "workspace_id": .string(Self.workspaceId), "role": .string(role)]
            for field in Self.contactFields { object[field] = body[field] ?? (field == "unsubscribed_from_emails" ? false : .null) }
            object["custom_attributes"] = body["custom_attributes"] ?? [:]
            object["created_at"] = .int(Int64(now.timeIntervalSince1970))
            object["updated_at"] = .int(Int64(now.timeIntervalSince1970))
            state.store(Contact(object: object, indexedAfter: now), id: id)
            state.contactOrder.append(id)
            return .created(contactJSON(state.contacts[id]!, state))
        }
        switch outcome {
        case .created(let contact): return .json(200, .object(contact))
        case .conflict(let id): return error(409, "conflict", "A contact matching those details already exists with id=\(id)")
        }
    }

    private func updateContact(_ id: String, _ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "parameter_invalid", "The body must be a JSON object") }
        if let role = body["role"]?.stringValue, role != "user", role != "lead" {
            return error(400, "parameter_invalid", "role must be user or lead")
        }
        if let problem = validateContact(body) { return problem }
        enum Outcome { case updated(JSONObject), notFound, conflict(String) }
        let outcome: Outcome = state.withLock { state in
            guard var contact = state.contacts[id] else { return .notFound }
            if let externalId = body["external_id"]?.scalarText,
               let other = state.contact(externalId: externalId), other.object["id"]?.stringValue != id {
                return .conflict(other.object["id"]?.stringValue ?? "")
            }
            for field in Self.contactFields + ["role"] { if let value = body[field] { contact.object[field] = value } }
            if let attributes = body["custom_attributes"]?.objectValue {
                var merged = contact.object["custom_attributes"]?.objectValue ?? [:]
                for entry in attributes { merged[entry.key] = entry.value }
                contact.object["custom_attributes"] = .object(merged)
            }
            contact.object["updated_at"] = .int(Int64(now.timeIntervalSince1970))
            state.store(contact, id: id)
            return .updated(contactJSON(contact, state))
        }
        switch outcome {
        case .updated(let contact): return .json(200, .object(contact))
        case .notFound: return error(404, "not_found", "User Not Found")
        case .conflict(let other): return error(409, "conflict", "A contact matching those details already exists with id=\(other)")
        }
    }

    /// Custom attributes hold scalars only, and (when the workspace's list is configured) only
    /// attributes that exist; dates are integer seconds.
    private func validateContact(_ body: JSONObject) -> SandboxResponse? {
        for field in ["signed_up_at", "last_seen_at"] {
            if let value = body[field], !value.isNull, value.integerValue == nil || value.stringValue != nil {
                return error(400, "parameter_invalid", "\(field) must be an integer timestamp in seconds")
            }
        }
        guard let attributes = body["custom_attributes"] else { return nil }
        guard let object = attributes.objectValue else { return error(400, "parameter_invalid", "custom_attributes must be an object") }
        for entry in object {
            if entry.value.isContainer {
                return error(400, "parameter_invalid", "Custom attribute '\(entry.key)' has a nested value; only strings, numbers, booleans and null are accepted")
            }
            if let defined = options.intercomDataAttributes, !defined.contains(entry.key) {
                return error(400, "parameter_invalid", "Custom attribute '\(entry.key)' does not exist")
            }
        }
        return nil
    }

    // MARK: Companies

    /// Creates the company with this `company_id`, or updates it.
    private func saveCompany(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "parameter_invalid", "The body must be a JSON object") }
        guard let companyId = body["company_id"]?.scalarText, !companyId.isEmpty else {
            return error(400, "parameter_invalid", "company_id is required")
        }
        if let spend = body["monthly_spend"], !spend.isNull, spend.numberValue == nil {
            return error(400, "parameter_invalid", "monthly_spend must be a number")
        }
        if let created = body["remote_created_at"], !created.isNull, created.integerValue == nil || created.stringValue != nil {
            return error(400, "parameter_invalid", "remote_created_at must be an integer timestamp in seconds")
        }
        if let attributes = body["custom_attributes"] {
            guard let object = attributes.objectValue else { return error(400, "parameter_invalid", "custom_attributes must be an object") }
            if let nested = object.first(where: { $0.value.isContainer }) {
                return error(400, "parameter_invalid", "Custom attribute '\(nested.key)' has a nested value; only strings, numbers, booleans and null are accepted")
            }
        }
        let company: JSONObject = state.withLock { state in
            let timestamp = JSON.int(Int64(now.timeIntervalSince1970))
            var company: JSONObject
            if let id = state.companyOrder.first(where: { state.companies[$0]?["company_id"]?.scalarText == companyId }) {
                company = state.companies[id]!
            } else {
                let id = state.newId()
                company = ["type": "company", "company_id": .string(companyId), "id": .string(id), "app_id": .string(Self.workspaceId),
                           "name": .null, "remote_created_at": .null, "created_at": timestamp, "updated_at": timestamp,
                           "monthly_spend": 0, "session_count": 0, "user_count": 0,
                           "tags": ["type": "tag.list", "tags": []], "segments": ["type": "segment.list", "segments": []],
                           "plan": [:], "custom_attributes": [:]]
                state.companyOrder.append(id)
            }
            for field in ["name", "monthly_spend", "remote_created_at", "website", "industry", "size"] {
                if let value = body[field] { company[field] = value }
            }
            if let plan = body["plan"]?.stringValue {
                company["plan"] = ["type": "plan", "id": .string(plan.lowercased().replacingOccurrences(of: " ", with: "-")), "name": .string(plan)]
            }
            if let attributes = body["custom_attributes"]?.objectValue {
                var merged = company["custom_attributes"]?.objectValue ?? [:]
                for entry in attributes { merged[entry.key] = entry.value }
                company["custom_attributes"] = .object(merged)
            }
            company["updated_at"] = timestamp
            state.companies[company["id"]!.stringValue!] = company
            return company
        }
        return .json(200, .object(company))
    }

    /// `GET /companies?company_id=…` or `?name=…`: the one company, or 404.
    private func findCompany(_ request: SandboxRequest) -> SandboxResponse {
        let companyId = request.queryValue("company_id")
        let name = request.queryValue("name")
        let companies = state.withLock { state in state.companyOrder.compactMap { state.companies[$0] } }
        if companyId == nil, name == nil {
            return .json(200, ["type": "list", "data": .array(companies.map(JSON.object)), "total_count": .int(Int64(companies.count))])
        }
        let found = companies.first { company in
            if let companyId { return company["company_id"]?.scalarText == companyId }
            return company["name"]?.stringValue == name
        }
        return found.map { .json(200, .object($0)) } ?? companyNotFound()
    }

    private func attach(_ contactId: String, _ request: SandboxRequest) -> SandboxResponse {
        guard let companyId = request.json?["id"]?.scalarText else { return error(400, "parameter_not_found", "id is required") }
        enum Outcome { case attached(JSONObject), noContact, noCompany }
        let outcome: Outcome = state.withLock { state in
            guard state.contacts[contactId] != nil else { return .noContact }
            guard var company = state.companies[companyId] else { return .noCompany }
            if !state.contacts[contactId]!.companyIds.contains(companyId) {
                state.contacts[contactId]!.companyIds.append(companyId)
                company["user_count"] = .int((company["user_count"]?.integerValue ?? 0) + 1)
                state.companies[companyId] = company
            }
            return .attached(company)
        }
        switch outcome {
        case .attached(let company): return .json(200, .object(company))
        case .noContact: return error(404, "not_found", "User Not Found")
        case .noCompany: return companyNotFound()
        }
    }

    private func detach(_ contactId: String, _ companyId: String) -> SandboxResponse {
        enum Outcome { case detached(JSONObject), noContact, notAttached }
        let outcome: Outcome = state.withLock { state in
            guard let contact = state.contacts[contactId] else { return .noContact }
            guard contact.companyIds.contains(companyId), var company = state.companies[companyId] else { return .notAttached }
            state.contacts[contactId]!.companyIds.removeAll { $0 == companyId }
            company["user_count"] = .int(max(0, (company["user_count"]?.integerValue ?? 1) - 1))
            state.companies[companyId] = company
            return .detached(company)
        }
        switch outcome {
        case .detached(let company): return .json(200, .object(company))
        case .noContact: return error(404, "not_found", "User Not Found")
        case .notAttached: return companyNotFound()
        }
    }

    private func contactCompanies(_ contactId: String) -> SandboxResponse {
        let companies: [JSONObject]? = state.withLock { state in
            state.contacts[contactId].map { $0.companyIds.compactMap { state.companies[$0] } }
        }
        guard let companies else { return error(404, "not_found", "User Not Found") }
        return .json(200, ["type": "list", "data": .array(companies.map(JSON.object)), "total_count": .int(Int64(companies.count))])
    }

    // MARK: Events

    /// 202 with an empty body. The user is found by `user_id` (external_id), `id` or `email`.
    private func submitEvent(_ request: SandboxRequest, now: Date) -> SandboxResponse {
        guard let body = request.json?.objectValue else { return error(400, "parameter_invalid", "The body must be a JSON object") }
        guard let name = body["event_name"]?.nonEmptyString else { return error(400, "parameter_not_found", "event_name is required") }
        guard let createdAt = body["created_at"], createdAt.integerValue != nil, createdAt.stringValue == nil else {
            return error(400, "parameter_invalid", "created_at must be an integer timestamp in seconds")
        }
        let userId = body["user_id"]?.scalarText, contactId = body["id"]?.scalarText, email = body["email"]?.nonEmptyString
        guard userId != nil || contactId != nil || email != nil else {
            return error(400, "parameter_not_found", "user_id, id or email is required")
        }
        if let metadata = body["metadata"], !metadata.isNull {
            guard let object = metadata.objectValue else { return error(400, "parameter_invalid", "metadata must be an object") }
            for entry in object where !Self.isMetadataValue(entry.value) {
                return error(422, "parameter_invalid",
                             "metadata '\(entry.key)' is nested; only strings, numbers, booleans, Monetary Amounts {amount, currency} and Rich Links {url, value} are accepted")
            }
        }
        let folded = name.trimmingASCIIWhitespace().lowercased()
        let limit = options.intercomEventNameLimit
        enum Outcome { case stored, unknownUser, tooManyNames }
        let outcome: Outcome = state.withLock { state in
            let contact: Contact?
            if let userId {
                contact = state.contact(externalId: userId)
            } else if let contactId {
                contact = state.contacts[contactId]
            } else {
                let contacts = state.contacts
                contact = state.contactOrder.lazy.compactMap { contacts[$0] }
                    .first { $0.object["email"]?.stringValue?.lowercased() == email?.lowercased() }
            }
            guard let contact, let id = contact.object["id"]?.stringValue else { return .unknownUser }
            if !state.eventNames.contains(folded) {
                guard state.eventNames.count < limit else { return .tooManyNames }
                state.eventNames.insert(folded)
            }
            var stored = body
            stored["intercom_user_id"] = .string(id)
            state.events.append(Event(contactId: id, object: stored))
            return .stored
        }
        switch outcome {
        case .stored: return .empty(202)
        case .unknownUser: return error(404, "not_found", "User Not Found")
        case .tooManyNames: return error(422, "parameter_invalid", "can't have more than \(limit) active events")
        }
    }

    /// Scalars, a Monetary Amount `{amount: integer, currency}` or a Rich Link `{url, value}`.
    static func isMetadataValue(_ value: JSON) -> Bool {
        switch value {
        case .array: return false
        case .object(let object):
            guard object.count == 2 else { return false }
            if object["amount"] != nil, object["currency"] != nil {
                return object["amount"]?.integerValue != nil && object["amount"]?.stringValue == nil && object["currency"]?.stringValue != nil
            }
            if object["url"] != nil, object["value"] != nil {
                return object["url"]?.stringValue != nil && object["value"].map { !$0.isContainer } == true
            }
            return false
        default: return true
        }
    }

    /// `GET /events?type=user&user_id=…` (or `intercom_user_id`, `email`): the user's events.
    private func listEvents(_ request: SandboxRequest) -> SandboxResponse {
        let userId = request.queryValue("user_id"), intercomId = request.queryValue("intercom_user_id"), email = request.queryValue("email")
        guard userId != nil || intercomId != nil || email != nil else {
            return error(400, "parameter_not_found", "user_id, intercom_user_id or email is required")
        }
        return state.withLock { state in
            let contactId = intercomId ?? state.contacts.values.first { contact in
                if let userId { return contact.object["external_id"]?.scalarText == userId }
                return contact.object["email"]?.stringValue?.lowercased() == email?.lowercased()
            }?.object["id"]?.stringValue
            let events = state.events.elements.filter { $0.contactId == contactId }.map { JSON.object($0.object) }
            return .json(200, ["type": "event.list", "events": .array(events), "pages": [:]])
        }
    }

    // MARK: - Replies

    private func contactJSON(_ contact: Contact, _ state: State) -> JSONObject {
        var object = contact.object
        let companies: [JSON] = contact.companyIds.map { ["type": "company", "id": .string($0), "url": .string("/companies/" + $0)] }
        object["companies"] = ["type": "list", "data": .array(companies), "url": .string("/contacts/\(object["id"]?.stringValue ?? "")/companies"),
                               "total_count": .int(Int64(companies.count)), "has_more": false]
        return object
    }

    private func companyNotFound() -> SandboxResponse { error(404, "company_not_found", "Company Not Found") }

    private func error(_ status: Int, _ code: String, _ message: String) -> SandboxResponse {
        let requestId = state.withLock { $0.random.hex(10) }
        return .json(status, ["type": "error.list", "request_id": .string(requestId),
                              "errors": [["code": .string(code), "message": .string(message)]]])
    }

    func errorResponse(status: Int, message: String) -> SandboxResponse {
        switch status {
        case 404: return error(404, "not_found", message)
        case 503: return error(503, "service_unavailable", message)
        default: return error(status, "server_error", message)
        }
    }

    // MARK: - Rate limits

    func rateLimitHeaders(_ statuses: [RateLimitStatus], now: Date) -> [(name: String, value: String)] {
        guard let window = statuses.first else { return [] }
        return [("X-RateLimit-Limit", String(window.limit)), ("X-RateLimit-Remaining", String(window.remaining)),
                ("X-RateLimit-Reset", String(Int64(window.resetAt.timeIntervalSince1970)))]
    }

    func tooManyRequests(_ refusal: RateLimitRefusal, now: Date) -> SandboxResponse {
        let seconds = refusal.statuses.first.map { Int($0.window.seconds) } ?? 10
        var response = error(429, "rate_limit_exceeded", "Exceeded rate limit of \(refusal.limit) in \(seconds)_seconds")
        response.headers += [("X-RateLimit-Limit", String(refusal.limit)), ("X-RateLimit-Remaining", "0"),
                             ("X-RateLimit-Reset", String(Int64(refusal.resetAt.timeIntervalSince1970.rounded(.up))))]
        return response
    }

    // MARK: - State

    func stateJSON() -> JSON {
        state.withLock { state in
            [
                "contacts": .array(state.contactOrder.compactMap { state.contacts[$0] }.map { .object(contactJSON($0, state)) }),
                "companies": .array(state.companyOrder.compactMap { state.companies[$0] }.map(JSON.object)),
                "events": .array(state.events.elements.map { .object($0.object) }),
                "eventsDropped": .int(Int64(state.events.dropped)),
                "eventNames": .array(state.eventNames.sorted().map(JSON.string)),
            ]
        }
    }

    func reset() { state.withLock { $0 = State(events: RecentEvents(capacity: options.eventLogCapacity)) } }
}
