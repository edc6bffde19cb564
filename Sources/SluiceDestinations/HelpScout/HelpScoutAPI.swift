import Foundation
import SluiceSpec

/// The Inbox API 2.0 endpoints the identify mapping uses, one function per endpoint, each
/// authenticated with the API key or an OAuth client-credentials token.
final class HelpScoutAPI {
    let settings: HelpScoutSettings
    let context: MappingContext
    private let baseURL: String
    /// One token refresh per mapped call: a second 401 after a fresh token is the API's answer.
    private var refreshedAfter401 = false

    init(settings: HelpScoutSettings, context: MappingContext) {
        self.settings = settings
        self.context = context
        baseURL = settings.apiBaseURL
    }

    // MARK: - Customers

    /// `GET /v2/customers?query=(email:"…")`; 404 (as a preview answers) means no match.
    func searchCustomers(email: String) async throws -> [JSONObject] {
        let query = URLEncoding.component("(email:\"\(email)\")")
        let (request, response) = try await send(.GET, "/v2/customers?query=" + query)
        if response.status == 404 { return [] }
        guard response.isSuccess else { throw HTTPStepFailure(request: request, response: response) }
        return (response.json?["_embedded"]?["customers"]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    /// `GET /v2/customers/{id}`, the full record with its embedded emails, phones and websites;
    /// nil when the customer no longer exists.
    func customer(id: String) async throws -> JSONObject? {
        let (request, response) = try await send(.GET, customerPath(id))
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw HTTPStepFailure(request: request, response: response) }
        return response.json?.objectValue ?? [:]
    }

    /// `POST /v2/customers`; returns the new id from the `Resource-ID` header, the `Location`
    /// header or the body, whichever the answer has.
    func createCustomer(_ body: JSON) async throws -> String? {
        let response = try await expectSuccess(.POST, "/v2/customers", body)
        if let id = response.headers["Resource-ID"], !id.isEmpty { return id }
        if let location = response.headers["Location"], let last = location.split(separator: "/").last {
            return String(last)
        }
        return response.json?["id"]?.scalarText
    }

    /// `PUT /v2/customers/{id}`, which overwrites every customer-entity field.
    func overwriteCustomer(id: String, _ body: JSON) async throws {
        try await expectSuccess(.PUT, customerPath(id), body)
    }

    func addEmail(customerId: String, _ email: String) async throws {
        try await expectSuccess(.POST, customerPath(customerId) + "/emails", HelpScoutCustomer.emailBody(email))
    }

    func addPhone(customerId: String, _ phone: String) async throws {
        try await expectSuccess(.POST, customerPath(customerId) + "/phones", HelpScoutCustomer.phoneBody(phone))
    }

    func addWebsite(customerId: String, _ website: String) async throws {
        try await expectSuccess(.POST, customerPath(customerId) + "/websites", HelpScoutCustomer.websiteBody(website))
    }

    /// `PUT /v2/customers/{id}/address` updates an address; a customer without one answers 404,
    /// and `POST` to the same path creates it.
    func putAddress(customerId: String, _ address: JSON) async throws {
        let path = customerPath(customerId) + "/address"
        let (request, response) = try await send(.PUT, path, address)
        if response.status == 404 {
            try await expectSuccess(.POST, path, address)
        } else if !response.isSuccess {
            throw HTTPStepFailure(request: request, response: response)
        }
    }

    /// `PATCH /v2/customers/{id}/properties` with JSON Patch replace operations.
    func patchProperties(customerId: String, _ operations: JSON) async throws {
        try await expectSuccess(.PATCH, customerPath(customerId) + "/properties", operations)
    }

    private func customerPath(_ id: String) -> String { "/v2/customers/" + URLEncoding.component(id) }

    // MARK: - Transport and authentication

    @discardableResult
    private func expectSuccess(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil) async throws -> HTTPResponse {
        let (request, response) = try await send(method, path, body)
        guard response.isSuccess else { throw HTTPStepFailure(request: request, response: response) }
        return response
    }

    /// Sends with the current credentials. With an OAuth app a 401 means the token was revoked
    /// or expired early: fetch a new one and retry once.
    private func send(_ method: HTTPMethod, _ path: String, _ body: JSON? = nil) async throws -> (HTTPRequest, HTTPResponse) {
        var request = try await authorized(method, path, body, refresh: false)
        var response = try await context.send(request)
        if response.status == 401, case .oauthApp = settings.credentials, !refreshedAfter401 {
            refreshedAfter401 = true
            request = try await authorized(method, path, body, refresh: true)
            response = try await context.send(request)
        }
        return (request, response)
    }

    private func authorized(_ method: HTTPMethod, _ path: String, _ body: JSON?, refresh: Bool) async throws -> HTTPRequest {
        var headers: [(name: String, value: String)] = []
        var secrets: [Secret] = []
        switch settings.credentials {
        case .apiKey(let key):
            headers.append((name: "Authorization", value: "Bearer " + key.reveal()))
            secrets = [key]
        case .oauthApp(let appId, let appSecret):
            let token = try await accessToken(appId: appId, appSecret: appSecret, refresh: refresh)
            headers.append((name: "Authorization", value: "Bearer " + token.reveal()))
            secrets = [token]
        case .none:
            break
        }
        headers.append((name: "Accept", value: "application/json"))
        return HTTPRequest(method, baseURL + path, headers: HTTPHeaders(headers), body: body.map { .json($0) }, secrets: secrets)
    }

    /// A cached token while it has more than `HelpScoutToken.refreshMargin` left, else a new one
    /// from `POST /v2/oauth2/token` (client credentials), cached with its expiry.
    private func accessToken(appId: String, appSecret: Secret, refresh: Bool) async throws -> Secret {
        let key = HelpScoutToken.stateKey(appId: appId)
        let now = context.now.timeIntervalSince1970
        if !refresh, let cached = HelpScoutToken(context.state.value(for: key)), cached.isUsable(at: now) {
            return cached.accessToken
        }
        let request = HTTPRequest(
            .POST, baseURL + "/v2/oauth2/token", headers: ["Accept": "application/json"],
            body: .form(["grant_type": "client_credentials", "client_id": appId, "client_secret": appSecret.reveal()]),
            secrets: [appSecret])
        let response = try await context.sendExpectingSuccess(request)
        guard let token = HelpScoutToken(response: response.json, receivedAt: now) else {
            throw HelpScoutTokenError(status: response.status)
        }
        context.state.setValue(token.json, for: key)
        return token.accessToken
    }
}

/// An OAuth access token and when it expires, as kept in the mapping state.
struct HelpScoutToken: Hashable {
    /// Tokens live two days; renewing five minutes early keeps a request from racing the expiry.
    static let refreshMargin: TimeInterval = 300
    static let documentedLifetime: TimeInterval = 172_800

    let accessToken: Secret
    /// Unix seconds.
    let expiresAt: Int64

    static func stateKey(appId: String) -> String { "helpscout.oauth.\(appId)" }

    init(accessToken: Secret, expiresAt: Int64) {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
    }

    /// From the state's `{accessToken, expiresAt}`.
    init?(_ json: JSON?) {
        guard let token = json?["accessToken"]?.stringValue, let expiresAt = json?["expiresAt"]?.numberValue else { return nil }
        self.init(accessToken: Secret(token), expiresAt: Int64(expiresAt))
    }

    /// From the token endpoint's `{token_type, access_token, expires_in}`.
    init?(response json: JSON?, receivedAt now: TimeInterval) {
        guard let token = json?["access_token"]?.stringValue, !token.isEmpty else { return nil }
        let lifetime = json?["expires_in"]?.numberValue ?? Self.documentedLifetime
        self.init(accessToken: Secret(token), expiresAt: Int64(now + lifetime))
    }

    var json: JSON { ["accessToken": .string(accessToken.reveal()), "expiresAt": .int(expiresAt)] }

    func isUsable(at now: TimeInterval) -> Bool { Double(expiresAt) - Self.refreshMargin > now }
}

/// The token endpoint answered 2xx without an access token.
public struct HelpScoutTokenError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public var description: String {
        "Help Scout's token endpoint answered \(status) without an access_token; check the App ID and App Secret"
    }
}
