import Foundation
@testable import SluiceDestinations
import SluiceSpec
import Testing

@Suite("Zendesk settings")
struct ZendeskSettingsTests {
    static let complete: JSONObject = [
        "enabled": true, "email": "ops@acme.com", "password": .string(Fixtures.zendeskPassword), "subdomain": "acme",
    ]

    @Test func parsesTheDocsFieldsAndRoundTrips() throws {
        let settings = try ZendeskSettings(json: Self.complete.merging(["verified": true, "plan": "growth"]))
        #expect(settings == ZendeskSettings(email: "ops@acme.com", password: Secret(Fixtures.zendeskPassword), subdomain: "acme",
                                            verified: true, plan: .growth, common: CommonSettings(enabled: true)))
        #expect(settings.apiBaseURL == "https://acme.zendesk.com")
        #expect(try ZendeskSettings(json: settings.json(revealSecrets: true)) == settings)
    }

    @Test func recognizesTheEmailSlashTokenForm() throws {
        let settings = try ZendeskSettings(json: Self.complete.merging(["email": "ops@acme.com/token", "password": .string(Fixtures.zendeskToken)]))
        #expect(settings.email == "ops@acme.com")
        #expect(settings.usesAPIToken)
        #expect(settings.json(revealSecrets: true)["email"] == "ops@acme.com/token")
        #expect(settings.notices.isEmpty)
    }

    @Test func rejectsAnEmailThatIsNotOne() {
        #expect(settingsIssues(ZendeskSettings.self, Self.complete.merging(["email": "ops.acme.com"]))
            == [SettingsIssue("email", "'ops.acme.com' is not an email address; enter the Zendesk login email, or you@example.com/token for API-token login")])
        #expect(settingsIssues(ZendeskSettings.self, Self.complete.merging(["email": "/token"])).map(\.field) == ["email"])
    }

    @Test func stripsAPastedURLFromTheSubdomainAndSaysWhat() throws {
        let settings = try ZendeskSettings(json: Self.complete.merging(["subdomain": "https://Acme.zendesk.com/agent/dashboard"]))
        #expect(settings.subdomain == "acme")
        #expect(settings.notices == [SettingsIssue("subdomain", "removed 'https://' and the path '/agent/dashboard' and '.zendesk.com'; the subdomain is 'acme'", severity: .notice)])
        let bare = try ZendeskSettings(json: Self.complete.merging(["subdomain": "acme.zendesk.com"]))
        #expect(bare.notices.map(\.message) == ["removed '.zendesk.com'; the subdomain is 'acme'"])
    }

    @Test func lowercasesTheSubdomainWithANotice() throws {
        let settings = try ZendeskSettings(json: Self.complete.merging(["subdomain": "AcmeSupport"]))
        #expect(settings.subdomain == "acmesupport")
        #expect(settings.notices.map(\.message) == ["changed to lowercase: 'acmesupport'"])
    }

    @Test(arguments: [
        ("acme_support", "use only letters, digits and hyphens"),
        ("-acme", "it may not start or end with a hyphen"),
        ("support.acme.com", "use only the name before .zendesk.com (letters, digits and hyphens), e.g. acme for acme.zendesk.com; a custom host name such as support.acme.com does not work with the API"),
        (String(repeating: "a", count: 64), "a subdomain has at most 63 characters"),
    ])
    func rejectsASubdomainThatIsNotAHostnameLabel(_ subdomain: String, _ problem: String) {
        #expect(settingsIssues(ZendeskSettings.self, Self.complete.merging(["subdomain": .string(subdomain)]))
            == [SettingsIssue("subdomain", "'\(subdomain)' is not a Zendesk subdomain: \(problem)")])
    }

    @Test func needsEmailPasswordAndSubdomainOnceEnabled() {
        let issues = settingsIssues(ZendeskSettings.self, ["enabled": true])
        #expect(issues.map(\.field) == ["email", "password", "subdomain"])
        #expect(issues[2].message == "is required: the name before .zendesk.com, e.g. acme")
        let token = settingsIssues(ZendeskSettings.self, ["enabled": true, "email": "ops@acme.com/token", "subdomain": "acme"])
        #expect(token == [SettingsIssue("password", "is required: the API token (the email ends in /token)")])
    }

    @Test func aBaseURLOverrideReplacesTheSubdomain() throws {
        let settings = try ZendeskSettings(json: ["enabled": true, "email": "ops@acme.com", "password": "pw", "baseURL": "http://127.0.0.1:9200/api/v2"])
        #expect(settings.apiBaseURL == "http://127.0.0.1:9200")
        #expect(settings.notices.map(\.field) == ["baseURL"])
    }

    @Test func suggestsTokenLoginForAPasswordThatLooksLikeAToken() throws {
        let settings = try ZendeskSettings(json: Self.complete.merging(["password": .string(Fixtures.zendeskToken)]))
        #expect(settings.notices == [SettingsIssue("password", "looks like an API token; if it is one, enter the email as ops@acme.com/token", severity: .notice)])
    }

    @Test(arguments: [
        (ZendeskPlan.team, 200), (.growth, 400), (.professional, 400), (.enterprise, 700), (.enterprisePlus, 2_500),
    ])
    func thePlanSetsTheDocumentedPerMinuteLimit(_ plan: ZendeskPlan, _ limit: Int) throws {
        let settings = try ZendeskSettings(json: ["plan": .string(plan.rawValue)])
        #expect(settings.rateLimits == [RateLimitWindow(key: "perMinute", label: "requests per minute on the \(plan.displayName) plan", limit: limit, seconds: 60)])
    }

    @Test func thePlanDefaultsToTeamAndAcceptsItsDisplayName() throws {
        #expect(try ZendeskSettings(json: [:]).plan == .team)
        #expect(try ZendeskSettings(json: ["plan": "Enterprise Plus"]).plan == .enterprisePlus)
        #expect(settingsIssues(ZendeskSettings.self, ["plan": "gold"])
            == [SettingsIssue("plan", "'gold' is not a Zendesk plan; use one of team, growth, professional, enterprise, enterprisePlus")])
    }

    @Test func rateLimitsMayOnlyBeLoweredBelowThePlansCeiling() throws {
        #expect(try ZendeskSettings(json: ["plan": "enterprise", "rateLimits": ["perMinute": 600]]).rateLimits.map(\.limit) == [600])
        let issues = settingsIssues(ZendeskSettings.self, ["plan": "team", "rateLimits": ["perMinute": 400]])
        #expect(issues.map(\.field) == ["rateLimits.perMinute"])
        #expect(issues[0].message.contains("200 requests per minute on the Team plan"))
    }

    @Test func validatesOneFieldForAFormWhileTyping() {
        #expect(ZendeskSettings.validate(field: "subdomain", value: "acme.zendesk.com")
            == [SettingsIssue("subdomain", "removed '.zendesk.com'; the subdomain is 'acme'", severity: .notice)])
        #expect(ZendeskSettings.validate(field: "email", value: "you@x.com/token").isEmpty)
        #expect(ZendeskSettings.validate(field: "rateLimits.perMinute", value: 700).isEmpty)
        #expect(ZendeskSettings.validate(field: "rateLimits.perMinute", value: 700, plan: .growth).count == 1)
        #expect(ZendeskSettings.validate(field: "verified", value: "yes").map(\.message) == ["Create Users as Verified must be true or false, not a string"])
        #expect(ZendeskSettings.validate(field: "subdomian", value: "acme").map(\.message) == ["unknown field 'subdomian' in zendesk; did you mean 'subdomain'?"])
    }

    @Test func listsItsFormFieldsInTheDocsOrder() {
        #expect(ZendeskSettings.fields.map(\.key) == ["email", "password", "subdomain", "verified", "plan", "enabled", "baseURL", "rateLimits.perMinute"])
    }

    @Test func neverPrintsOrExportsThePasswordOrToken() throws {
        for settings in [Fixtures.zendesk(), Fixtures.zendesk(token: true)] {
            let secret = settings.password!.reveal()
            for text in Fixtures.renderings(settings) + [JSONWriter.string(.object(settings.json(revealSecrets: false)))] {
                #expect(!text.contains(secret))
                #expect(!text.contains(Fixtures.base64("ops@acme.com:" + secret)))
            }
        }
        let issues = settingsIssues(ZendeskSettings.self, ["password": .string(Fixtures.zendeskPassword), "subdomain": "a_b"])
        #expect(!issues.description.contains(Fixtures.zendeskPassword))
    }
}

@Suite("Zendesk identify")
struct ZendeskIdentifyTests {
    static let searchPath = "/api/v2/users/search.json?query=email%3Akobe%40lakers.com"
    static let kobe: JSONObject = [
        "name": "Kobe Bryant", "email": "kobe@lakers.com", "timezone": "Los Angeles", "locale": "en-US",
        "locale_id": "1", "organizationId": 6789, "phone": "763-555-2342",
    ]

    func scripted(users: [JSON] = [], upsertStatus: Int = 201) -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/users/search.json", Fixtures.ok(["users": .array(users), "count": .int(Int64(users.count))]))
        context.on(.POST, "/api/v2/users/create_or_update.json", Fixtures.ok(["user": ["id": 35436]], status: upsertStatus))
        return context
    }

    @Test func authenticatesWithEmailAndPassword() async throws {
        let context = scripted()
        _ = try await Zendesk.map(Fixtures.identify(userId: "12345", traits: Self.kobe), settings: Fixtures.zendesk(), context: context)
        let expected = "Basic " + Fixtures.base64("ops@acme.com:" + Fixtures.zendeskPassword)
        #expect(context.requests.allSatisfy { $0.headers["Authorization"] == expected })
    }

    @Test func authenticatesWithTheEmailSlashTokenForm() async throws {
        let context = scripted()
        _ = try await Zendesk.map(Fixtures.identify(userId: "12345", traits: Self.kobe), settings: Fixtures.zendesk(token: true), context: context)
        let expected = "Basic " + Fixtures.base64("ops@acme.com/token:" + Fixtures.zendeskToken)
        #expect(context.requests.allSatisfy { $0.headers["Authorization"] == expected })
    }

    @Test func encodesBasicCredentialsAsStandardBase64() {
        for text in ["", "a", "ab", "abc", "ops@acme.com:pässwörd", "x/token:0123456789"] {
            #expect(Base64.encode(Array(text.utf8)) == Fixtures.base64(text))
        }
    }

    @Test func searchesByEmailThenUpsertsTheUser() async throws {
        let context = scripted()
        let outcome = try await Zendesk.map(Fixtures.identify(userId: "12345", traits: Self.kobe), settings: Fixtures.zendesk(), context: context)
        #expect(context.lines == ["GET \(Self.searchPath)", "POST /api/v2/users/create_or_update.json"])
        #expect(context.requests[0].url == "https://acme.zendesk.com" + Self.searchPath)
        let upsert = context.requests[1]
        #expect(upsert.url == "https://acme.zendesk.com/api/v2/users/create_or_update.json")
        #expect(upsert.jsonBody == ["user": [
            "email": "kobe@lakers.com", "name": "Kobe Bryant", "external_id": "12345", "phone": "763-555-2342",
            "time_zone": "Los Angeles", "locale": "en-US", "locale_id": 1, "user_fields": ["organizationId": 6789],
        ]])
        #expect(outcome == .delivered(notes: ["created user"]))
    }

    @Test func masksCredentialsInRedactedHeaders() async throws {
        let context = scripted()
        _ = try await Zendesk.map(Fixtures.identify(userId: "12345", traits: Self.kobe), settings: Fixtures.zendesk(), context: context)
        let masked = Secret(Fixtures.base64("ops@acme.com:" + Fixtures.zendeskPassword)).masked
        #expect(context.requests[0].redacted().headers == ["Authorization": "Basic " + masked, "Accept": "application/json"])
        #expect(context.requests[1].redacted().headers == ["Authorization": "Basic " + masked, "Accept": "application/json", "Content-Type": "application/json"])
    }

    @Test func createsUsersAsVerifiedOnlyWhenTheOptionIsOn() async throws {
        let on = scripted()
        _ = try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(verified: true), context: on)
        #expect(on.requests.last?.jsonBody?["user"]?["verified"] == true)
        let off = scripted()
        _ = try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(verified: false), context: off)
        #expect(off.requests.last?.jsonBody?["user"]?["verified"] == nil)
    }

    @Test func skipsWithoutTraitsEmail() async throws {
        let context = ScriptedContext()
        let outcome = try await Zendesk.map(Fixtures.identify(userId: "kobe@lakers.com", traits: ["name": "Kobe"]), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .skipped(reason: "Zendesk needs traits.email to match the user"))
        #expect(context.requests.isEmpty)
    }

    @Test(arguments: [
        (["email": "k@l.com"] as JSONObject, "Zendesk needs traits.name, or both first_name and last_name"),
        (["email": "k@l.com", "first_name": "Kobe"] as JSONObject, "Zendesk needs traits.name, or both first_name and last_name; last_name is missing"),
        (["email": "k@l.com", "lastName": "Bryant"] as JSONObject, "Zendesk needs traits.name, or both first_name and last_name; first_name is missing"),
    ])
    func skipsWithoutANameSayingWhatIsMissing(_ traits: JSONObject, _ reason: String) async throws {
        let context = ScriptedContext()
        #expect(try await Zendesk.map(Fixtures.identify(traits: traits), settings: Fixtures.zendesk(), context: context) == .skipped(reason: reason))
        #expect(context.requests.isEmpty)
    }

    @Test func joinsFirstAndLastNameInEitherCase() async throws {
        for traits: JSONObject in [["email": "k@l.com", "first_name": "Kobe", "last_name": "Bryant"], ["email": "k@l.com", "firstName": "Kobe", "lastName": "Bryant"]] {
            let context = scripted()
            _ = try await Zendesk.map(Fixtures.identify(userId: nil, traits: traits), settings: Fixtures.zendesk(), context: context)
            #expect(context.requests.last?.jsonBody == ["user": ["email": "k@l.com", "name": "Kobe Bryant"]])
        }
    }

    @Test func submitsNothingWhenSeveralUsersShareTheEmail() async throws {
        let context = scripted(users: [["id": 1, "email": "kobe@lakers.com"], ["id": 2, "email": "Kobe@Lakers.com"]])
        let outcome = try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .skipped(reason: "several Zendesk users share kobe@lakers.com"))
        #expect(context.lines == ["GET \(Self.searchPath)"])
    }

    @Test func upsertsWhenExactlyOneUserMatches() async throws {
        let context = scripted(users: [["id": 1, "email": "kobe@lakers.com"], ["id": 2, "email": "kobe@lakers.com.au"]], upsertStatus: 200)
        let outcome = try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .delivered(notes: ["updated user"]))
        #expect(context.lines.last == "POST /api/v2/users/create_or_update.json")
    }

    @Test func sendsRemainingTraitsAsUserFieldsWithNestedValuesAsJSONText() async throws {
        let context = scripted()
        let traits: JSONObject = ["email": "k@l.com", "name": "K", "time_zone": "Europe/Oslo", "plan": "pro", "seats": 3,
                                  "address": ["city": "LA"], "tags": ["a"], "cleared": nil]
        _ = try await Zendesk.map(Fixtures.identify(userId: nil, traits: traits), settings: Fixtures.zendesk(), context: context)
        #expect(context.requests.last?.jsonBody == ["user": [
            "email": "k@l.com", "name": "K", "time_zone": "Europe/Oslo",
            "user_fields": ["plan": "pro", "seats": 3, "address": "{\"city\":\"LA\"}", "tags": "[\"a\"]", "cleared": nil],
        ]])
    }

    @Test func usesTheBaseURLOverride() async throws {
        let context = scripted()
        _ = try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(baseURL: "http://127.0.0.1:9200"), context: context)
        #expect(context.requests.map(\.url) == ["http://127.0.0.1:9200" + Self.searchPath, "http://127.0.0.1:9200/api/v2/users/create_or_update.json"])
    }

    @Test func a422SurfacesZendesksOwnMessage() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/users/search.json", Fixtures.ok(["users": [], "count": 0]))
        context.on(.POST, "/api/v2/users/create_or_update.json", Fixtures.ok([
            "error": "RecordInvalid", "description": "Record validation errors",
            "details": ["email": [["description": "Email: kobe@ is not properly formatted", "error": "InvalidFormat"]]],
        ], status: 422))
        let failure = await expectStepFailure { try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(), context: context) }
        #expect(failure?.response.status == 422)
        #expect(failure?.message.hasPrefix("RecordInvalid; Record validation errors; ") == true)
        #expect(failure?.message.contains("is not properly formatted") == true)
        #expect(failure.map { "\($0)" }?.contains(Fixtures.zendeskPassword) == false)
    }

    @Test func a5xxFromTheSearchFailsBeforeAnyWrite() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/users/search.json", Fixtures.ok(["error": "InternalError", "description": "Something went wrong"], status: 500))
        let failure = await expectStepFailure { try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(), context: context) }
        #expect(failure?.message == "InternalError; Something went wrong")
        #expect(context.requests.count == 1)
    }

    @Test func a429WithAPlainTextBodyKeepsTheText() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/users/search.json", HTTPResponse(status: 429, headers: ["Retry-After": "30", "Content-Type": "text/plain"], body: Array("Rate limit exceeded".utf8)))
        let failure = await expectStepFailure { try await Zendesk.map(Fixtures.identify(traits: Self.kobe), settings: Fixtures.zendesk(), context: context) }
        #expect(failure?.response.status == 429)
        #expect(failure?.message == "Rate limit exceeded")
    }

    @Test(arguments: ["track", "page", "screen", "alias"])
    func skipsCallsZendeskHasNoPlaceFor(_ type: String) async throws {
        let context = ScriptedContext()
        let outcome = try await Zendesk.map(Fixtures.event(type), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .skipped(reason: "Zendesk takes only identify and group calls; \(type) calls are not sent"))
        #expect(context.requests.isEmpty)
    }
}

@Suite("Zendesk group")
struct ZendeskGroupTests {
    static let lakers: JSONObject = ["name": "LA Lakers", "url": "https://lakers.com", "deleted": false]
    static let organizationSearch = "/api/v2/organizations/search.json?external_id=908172409"

    func scripted(organizations: [JSON] = [], users: [JSON] = [["id": 35436, "external_id": "6789"]],
                 membership: HTTPResponse = Fixtures.ok(["organization_membership": ["id": 4]], status: 201)) -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/organizations/search.json", Fixtures.ok(["organizations": .array(organizations), "count": .int(Int64(organizations.count))]))
        context.on(.POST, "/api/v2/organizations/create_or_update.json", Fixtures.ok(["organization": ["id": 361898904439, "name": "LA Lakers"]], status: 201))
        context.on(.GET, "/api/v2/users/search.json", Fixtures.ok(["users": .array(users), "count": .int(Int64(users.count))]))
        context.on(.POST, "/api/v2/organization_memberships.json", membership)
        return context
    }

    @Test func upsertsTheOrganizationAndLinksTheUser() async throws {
        let context = scripted()
        let outcome = try await Zendesk.map(Fixtures.group(userId: "6789", traits: Self.lakers), settings: Fixtures.zendesk(), context: context)
        #expect(context.lines == [
            "GET \(Self.organizationSearch)",
            "POST /api/v2/organizations/create_or_update.json",
            "GET /api/v2/users/search.json?external_id=6789",
            "POST /api/v2/organization_memberships.json",
        ])
        #expect(context.requests[1].jsonBody == ["organization": [
            "external_id": "908172409", "name": "LA Lakers", "domain_names": ["lakers.com"], "organization_fields": ["deleted": false],
        ]])
        #expect(context.requests[3].jsonBody == ["organization_membership": ["user_id": 35436, "organization_id": 361898904439]])
        #expect(context.requests[3].redacted().headers["Content-Type"] == "application/json")
        #expect(outcome == .delivered(notes: []))
    }

    @Test func submitsNothingWhenSeveralOrganizationsMatch() async throws {
        let context = scripted(organizations: [["id": 1], ["id": 2]])
        let outcome = try await Zendesk.map(Fixtures.group(traits: Self.lakers), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .skipped(reason: "several Zendesk organizations have external_id 908172409"))
        #expect(context.lines == ["GET \(Self.organizationSearch)"])
    }

    @Test func anExistingMembershipCountsAsSuccess() async throws {
        let already = Fixtures.ok(["error": "RecordInvalid", "description": "Record validation errors",
                                   "details": ["user_id": [["description": "User is already a member of this organization", "error": "DuplicateValue"]]]], status: 422)
        let context = scripted(membership: already)
        let outcome = try await Zendesk.map(Fixtures.group(userId: "6789", traits: Self.lakers), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .delivered(notes: ["user 35436 already belonged to organization 361898904439"]))
    }

    @Test func anotherMembership422Fails() async throws {
        let invalid = Fixtures.ok(["error": "RecordInvalid", "description": "Organization is suspended"], status: 422)
        let context = scripted(membership: invalid)
        let failure = await expectStepFailure { try await Zendesk.map(Fixtures.group(userId: "6789", traits: Self.lakers), settings: Fixtures.zendesk(), context: context) }
        #expect(failure?.message == "RecordInvalid; Organization is suspended")
    }

    @Test func findsTheUserByContextEmailWhenNoExternalIdMatches() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/api/v2/organizations/search.json", Fixtures.ok(["organizations": [["id": 9]], "count": 1]))
        context.on(.POST, "/api/v2/organizations/create_or_update.json", Fixtures.ok(["organization": ["id": 9]]))
        context.on(.GET, "/api/v2/users/search.json?external_id=", Fixtures.ok(["users": [], "count": 0]))
        context.on(.GET, "/api/v2/users/search.json?query=", Fixtures.ok(["users": [["id": 77, "email": "kobe@lakers.com"]], "count": 1]))
        context.on(.POST, "/api/v2/organization_memberships.json", Fixtures.ok(status: 201))
        let event = try Fixtures.group(userId: "6789", traits: Self.lakers, extra: ["context": ["traits": ["email": "kobe@lakers.com"]]])
        _ = try await Zendesk.map(event, settings: Fixtures.zendesk(), context: context)
        #expect(Array(context.lines.dropFirst(2)) == [
            "GET /api/v2/users/search.json?external_id=6789",
            "GET /api/v2/users/search.json?query=email%3Akobe%40lakers.com",
            "POST /api/v2/organization_memberships.json",
        ])
        #expect(context.requests.last?.jsonBody == ["organization_membership": ["user_id": 77, "organization_id": 9]])
    }

    @Test func saysWhyTheUserWasNotLinked() async throws {
        let context = scripted(users: [])
        let outcome = try await Zendesk.map(Fixtures.group(userId: "6789", traits: Self.lakers), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .delivered(notes: ["organization 361898904439 updated; the user was not linked: no Zendesk user has external_id 6789"]))
        #expect(context.requests(.POST, "/api/v2/organization_memberships.json").isEmpty)
        let anonymous = scripted(users: [])
        let anonymousOutcome = try await Zendesk.map(Fixtures.group(userId: nil, traits: Self.lakers), settings: Fixtures.zendesk(), context: anonymous)
        #expect(anonymousOutcome == .delivered(notes: ["organization 361898904439 updated; the user was not linked: the call has no userId and no context.traits.email to find the user by"]))
    }

    @Test func needsANameToCreateAnOrganization() async throws {
        let context = scripted()
        let outcome = try await Zendesk.map(Fixtures.group(traits: ["url": "https://lakers.com"]), settings: Fixtures.zendesk(), context: context)
        #expect(outcome == .skipped(reason: "Zendesk needs traits.name to create organization 908172409"))
        #expect(context.lines == ["GET \(Self.organizationSearch)"])
    }

    @Test func updatesAKnownOrganizationWithoutAName() async throws {
        let context = scripted(organizations: [["id": 361898904439]])
        _ = try await Zendesk.map(Fixtures.group(userId: "6789", traits: ["plan": "gold"]), settings: Fixtures.zendesk(), context: context)
        #expect(context.requests[1].jsonBody == ["organization": ["external_id": "908172409", "organization_fields": ["plan": "gold"]]])
    }

    @Test func ignoresTheUsersContextTraitsInTheOrganization() async throws {
        let context = scripted()
        let event = try Fixtures.group(userId: "6789", traits: ["name": "LA Lakers"], extra: ["context": ["traits": ["email": "kobe@lakers.com", "plan": "user-plan"]]])
        _ = try await Zendesk.map(event, settings: Fixtures.zendesk(), context: context)
        #expect(context.requests[1].jsonBody == ["organization": ["external_id": "908172409", "name": "LA Lakers"]])
    }

    @Test func takesTheDomainFromTheURLsHost() {
        #expect(ZendeskBodies.domain(ofURL: "https://lakers.com") == "lakers.com")
        #expect(ZendeskBodies.domain(ofURL: "https://www.Lakers.com:8443/team?x=1") == "lakers.com")
        #expect(ZendeskBodies.domain(ofURL: "lakers.com/roster") == "lakers.com")
        #expect(ZendeskBodies.domain(ofURL: "http://user@shop.lakers.com") == "shop.lakers.com")
        #expect(ZendeskBodies.domain(ofURL: "not a url") == nil)
    }
}

fileprivate extension JSONObject {
    /// A copy with `other`'s entries set over this one's.
    func merging(_ other: JSONObject) -> JSONObject {
        var result = self
        for entry in other { result[entry.key] = entry.value }
        return result
    }
}
