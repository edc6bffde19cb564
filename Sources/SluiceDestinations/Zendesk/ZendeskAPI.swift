import SluiceSpec

/// The Zendesk Support API endpoints the mappings use, one function per endpoint, with Basic
/// authentication (`email:password` or `email/token:api_token`).
struct ZendeskAPI {
    let settings: ZendeskSettings
    let context: MappingContext
    private let authorization: Secret
    private let secrets: [Secret]

    init(settings: ZendeskSettings, context: MappingContext) {
        self.settings = settings
        self.context = context
        authorization = settings.authorization
        secrets = settings.secrets + [authorization]
    }

    /// A search's matches and the id of each.
    struct Matches {
        let records: [JSONObject]
        var count: Int { records.count }
        var onlyId: JSON? { records.count == 1 ? records[0]["id"] : nil }
    }

    /// `GET /api/v2/users/search.json?query=email:…`. Zendesk's query also matches partial
    /// addresses, so only users whose email is exactly this one count.
    func searchUsers(email: String) async throws -> Matches {
        let users = try await search("/api/v2/users/search.json?query=" + URLEncoding.component("email:" + email), "users")
        let wanted = email.lowercased()
        return Matches(records: users.filter { $0["email"]?.stringValue.map { $0.lowercased() == wanted } ?? true })
    }

    /// `GET /api/v2/users/search.json?external_id=…`.
    func searchUsers(externalId: String) async throws -> Matches {
        Matches(records: try await search("/api/v2/users/search.json?external_id=" + URLEncoding.component(externalId), "users"))
    }

    /// `GET /api/v2/organizations/search.json?external_id=…`.
    func searchOrganizations(externalId: String) async throws -> Matches {
        Matches(records: try await search("/api/v2/organizations/search.json?external_id=" + URLEncoding.component(externalId), "organizations"))
    }

    /// `POST /api/v2/users/create_or_update.json`: 201 created, 200 updated.
    func upsertUser(_ body: JSON) async throws -> HTTPResponse {
        try await context.sendExpectingSuccess(request(.POST, "/api/v2/users/create_or_update.json", body))
    }

    /// `POST /api/v2/organizations/create_or_update.json`; returns the organization's id.
    func upsertOrganization(_ body: JSON) async throws -> JSON? {
        let response = try await context.sendExpectingSuccess(request(.POST, "/api/v2/organizations/create_or_update.json", body))
        let json = response.json
        return json?["organization"]?["id"] ?? json?["id"]
    }

    /// `POST /api/v2/organization_memberships.json`. Returns false when the user already was a
    /// member: Zendesk answers 422 for that, which is the state we wanted.
    func createMembership(_ body: JSON) async throws -> Bool {
        let request = request(.POST, "/api/v2/organization_memberships.json", body)
        let response = try await context.send(request)
        if response.isSuccess { return true }
        if response.status == 422, Self.isAlreadyMember(response) { return false }
        throw HTTPStepFailure(request: request, response: response)
    }

    static func isAlreadyMember(_ response: HTTPResponse) -> Bool {
        let text = response.text.lowercased()
        return text.contains("already") || text.contains("duplicatevalue")
    }

    private func search(_ pathAndQuery: String, _ collection: String) async throws -> [JSONObject] {
        let request = request(.GET, pathAndQuery)
        let response = try await context.send(request)
        if response.status == 404 { return [] }  // what a preview answers
        guard response.isSuccess else { throw HTTPStepFailure(request: request, response: response) }
        return (response.json?[collection]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    private func request(_ method: HTTPMethod, _ pathAndQuery: String, _ body: JSON? = nil) -> HTTPRequest {
        HTTPRequest(method, settings.apiBaseURL + pathAndQuery,
                    headers: ["Authorization": authorization.reveal(), "Accept": "application/json"],
                    body: body.map { .json($0) }, secrets: secrets)
    }
}
