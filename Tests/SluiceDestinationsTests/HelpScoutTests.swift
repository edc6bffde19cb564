import Foundation
@testable import SluiceDestinations
import SluiceSpec
import Testing

@Suite("Help Scout settings")
struct HelpScoutSettingsTests {
    @Test func acceptsA40CharacterAPIKeyAndRoundTrips() throws {
        let settings = try HelpScoutSettings(json: ["enabled": true, "apiKey": .string(Fixtures.helpScoutKey)])
        #expect(settings.credentials == .apiKey(Secret(Fixtures.helpScoutKey)))
        #expect(settings.common.enabled)
        #expect(try HelpScoutSettings(json: settings.json(revealSecrets: true)) == settings)
        #expect(settings.json(revealSecrets: true) == ["enabled": true, "apiKey": .string(Fixtures.helpScoutKey)])
    }

    @Test func rejectsAnAPIKeyOfTheWrongLengthWithoutEchoingIt() {
        let shortKey = String(Fixtures.helpScoutKey.dropLast())
        let issues = settingsIssues(HelpScoutSettings.self, ["apiKey": .string(shortKey)])
        #expect(issues == [SettingsIssue("apiKey", "must be 40 characters long, like 19a568052a40916806975825946d1a0e39c721d6; this one has 39")])
        #expect(!issues.description.contains(shortKey))
    }

    @Test func rejectsAnAPIKeyWithInnerSpacesOrSymbols() {
        let spaced = String(Fixtures.helpScoutKey.prefix(20)) + " " + String(Fixtures.helpScoutKey.suffix(19))
        #expect(settingsIssues(HelpScoutSettings.self, ["apiKey": .string(spaced)]).map(\.message)
            == ["must not contain spaces; copy the key again from Your Profile > API Keys"])
        let symbols = String(Fixtures.helpScoutKey.dropLast()) + "!"
        #expect(settingsIssues(HelpScoutSettings.self, ["apiKey": .string(symbols)]).map(\.field) == ["apiKey"])
    }

    @Test func trimsAPastedKeyAndSaysSo() throws {
        let settings = try HelpScoutSettings(json: ["apiKey": .string("  \(Fixtures.helpScoutKey)\n")])
        #expect(settings.apiKey == Secret(Fixtures.helpScoutKey))
        #expect(settings.notices == [SettingsIssue("apiKey", "removed spaces or line breaks around the pasted API key", severity: .notice)])
    }

    @Test func refusesTheMaskedValueAnExportWrites() {
        let issues = settingsIssues(HelpScoutSettings.self, ["apiKey": "••••a2d9"])
        #expect(issues == [SettingsIssue("apiKey", "API key holds a masked value from an export (••••a2d9); paste the real API key")])
    }

    @Test func acceptsAnOAuthAppInsteadOfAKey() throws {
        let settings = try HelpScoutSettings(json: [
            "enabled": true, "appId": .string(Fixtures.helpScoutAppId), "appSecret": .string(Fixtures.helpScoutAppSecret),
        ])
        #expect(settings.credentials == .oauthApp(appId: Fixtures.helpScoutAppId, appSecret: Secret(Fixtures.helpScoutAppSecret)))
        #expect(settings.secrets == [Secret(Fixtures.helpScoutAppSecret)])
    }

    @Test func refusesBothAKeyAndAnOAuthApp() {
        let issues = settingsIssues(HelpScoutSettings.self, [
            "apiKey": .string(Fixtures.helpScoutKey), "appId": .string(Fixtures.helpScoutAppId),
            "appSecret": .string(Fixtures.helpScoutAppSecret),
        ])
        #expect(issues == [SettingsIssue("apiKey", "use either an API key or an OAuth app (App ID and App Secret), not both; clear one of them")])
    }

    @Test func needsBothHalvesOfAnOAuthApp() {
        #expect(settingsIssues(HelpScoutSettings.self, ["appId": .string(Fixtures.helpScoutAppId)])
            == [SettingsIssue("appSecret", "is required with an App ID; copy it from the same app in Your Profile > My Apps")])
        #expect(settingsIssues(HelpScoutSettings.self, ["appSecret": .string(Fixtures.helpScoutAppSecret)])
            == [SettingsIssue("appId", "is required with an App Secret; copy it from the same app in Your Profile > My Apps")])
    }

    @Test func needsCredentialsOnlyOnceEnabled() throws {
        #expect(try HelpScoutSettings(json: ["enabled": false]).credentials == .none)
        #expect(settingsIssues(HelpScoutSettings.self, ["enabled": true])
            == [SettingsIssue("apiKey", "Help Scout needs an API key (40 characters) or an OAuth app's App ID and App Secret before it can be enabled")])
    }

    @Test func documentsItsRateLimits() {
        #expect(HelpScout.documentedRateLimits == [
            RateLimitWindow(key: "perMinute", label: "requests per minute", limit: 200, seconds: 60),
            RateLimitWindow(key: "writesPer5Seconds", label: "write requests per 5 seconds", limit: 12, seconds: 5, writesOnly: true),
        ])
        #expect(Fixtures.helpScout().rateLimits == HelpScout.documentedRateLimits)
    }

    @Test func rateLimitsMayBeLoweredButNotRaised() throws {
        let lowered = try HelpScoutSettings(json: ["rateLimits": ["perMinute": 120, "writesPer5Seconds": 6]])
        #expect(lowered.rateLimits.map(\.limit) == [120, 6])
        let issues = settingsIssues(HelpScoutSettings.self, ["rateLimits": ["perMinute": 300, "writesPer5Seconds": 13]])
        #expect(issues.map(\.field) == ["rateLimits.perMinute", "rateLimits.writesPer5Seconds"])
        #expect(issues[0].message.contains("200 requests per minute"))
        #expect(issues[1].message.contains("12 write requests per 5 seconds"))
    }

    @Test func validatesTheBaseURLAndDropsAPastedAPIPath() throws {
        #expect(settingsIssues(HelpScoutSettings.self, ["baseURL": "ftp://example.com"]).map(\.field) == ["baseURL"])
        let settings = try HelpScoutSettings(json: ["baseURL": "http://127.0.0.1:9000/v2/"])
        #expect(settings.apiBaseURL == "http://127.0.0.1:9000")
        #expect(settings.notices.map(\.field) == ["baseURL", "baseURL"])
        #expect(settings.notices.last?.message == "removed '/v2' from the end; Sluice adds /v2/… paths itself, so requests go to http://127.0.0.1:9000/v2/…")
    }

    @Test func validatesOneFieldForAFormWhileTyping() {
        #expect(HelpScoutSettings.validate(field: "apiKey", value: "abc").map(\.message) == ["must be 40 characters long, like 19a568052a40916806975825946d1a0e39c721d6; this one has 3"])
        #expect(HelpScoutSettings.validate(field: "apiKey", value: .string(Fixtures.helpScoutKey)).isEmpty)
        #expect(HelpScoutSettings.validate(field: "appId", value: "not an id!").map(\.field) == ["appId"])
        #expect(HelpScoutSettings.validate(field: "rateLimits.perMinute", value: 500).count == 1)
        #expect(HelpScoutSettings.validate(field: "apikey", value: "x").map(\.message) == ["unknown field 'apikey' in helpscout; did you mean 'apiKey'?"])
    }

    @Test func listsItsFormFieldsWithCommonOnesLast() {
        #expect(HelpScoutSettings.fields.map(\.key) == ["apiKey", "appId", "appSecret", "enabled", "baseURL", "rateLimits.perMinute", "rateLimits.writesPer5Seconds"])
        #expect(HelpScoutSettings.fields[0].kind == .secret)
    }

    @Test func neverPrintsOrExportsSecrets() throws {
        for settings in [Fixtures.helpScout(), Fixtures.helpScoutOAuth()] {
            for text in Fixtures.renderings(settings) + [JSONWriter.string(.object(settings.json(revealSecrets: false)))] {
                #expect(!text.contains(Fixtures.helpScoutKey))
                #expect(!text.contains(Fixtures.helpScoutAppSecret))
            }
        }
        #expect(Fixtures.helpScout().json(revealSecrets: false)["apiKey"] == "••••a2d9")
        let both = settingsIssues(HelpScoutSettings.self, ["apiKey": .string(Fixtures.helpScoutKey), "appSecret": .string(Fixtures.helpScoutAppSecret)])
        #expect(!both.description.contains(Fixtures.helpScoutKey) && !both.description.contains(Fixtures.helpScoutAppSecret))
    }
}

@Suite("Help Scout identify")
struct HelpScoutIdentifyTests {
    static let searchPath = "/v2/customers?query=%28email%3A%22jane%40example.com%22%29"
    static let created = Fixtures.ok(status: 201, headers: ["Resource-ID": "12345", "Location": "https://api.helpscout.net/v2/customers/12345"])

    func newCustomerContext() -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.customers())
        context.on(.POST, "/v2/customers", Self.created)
        return context
    }

    @Test func takesTheEmailFromAnEmailUserId() async throws {
        let context = newCustomerContext()
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context)
        #expect(outcome == .delivered(notes: ["created customer 12345"]))
        #expect(context.lines == ["GET \(Self.searchPath)", "POST /v2/customers"])
    }

    @Test func takesTheEmailFromTraitsWhenTheUserIdIsNotOne() async throws {
        let context = newCustomerContext()
        _ = try await HelpScout.map(Fixtures.identify(userId: "u-42", traits: ["email": "jane@example.com"]), settings: Fixtures.helpScout(), context: context)
        #expect(context.lines.first == "GET \(Self.searchPath)")
    }

    @Test func readsTraitsFromContextTraitsAsRudderStackSendsThem() async throws {
        let context = newCustomerContext()
        let event = try Fixtures.identify(userId: "u-42", extra: ["context": ["traits": ["email": "jane@example.com", "firstName": "Jane"]]])
        _ = try await HelpScout.map(event, settings: Fixtures.helpScout(), context: context)
        #expect(context.requests.last?.jsonBody?["firstName"] == "Jane")
    }

    @Test func skipsWithoutAnEmail() async throws {
        let context = ScriptedContext()
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "u-42", traits: ["email": "not-an-email", "name": "Jane"]),
                                              settings: Fixtures.helpScout(), context: context)
        #expect(outcome == .skipped(reason: "Help Scout needs an email"))
        #expect(context.requests.isEmpty)
    }

    @Test func searchesByTheURLEncodedEmailWithBearerAuth() async throws {
        let context = newCustomerContext()
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context)
        let search = context.requests[0]
        #expect(search.method == .GET)
        #expect(search.url == "https://api.helpscout.net" + Self.searchPath)
        #expect(search.body == nil)
        #expect(search.redacted().headers == ["Authorization": "Bearer ••••a2d9", "Accept": "application/json"])
        #expect(search.headers["Authorization"] == "Bearer " + Fixtures.helpScoutKey)
    }

    @Test func createsANewCustomerWithEveryMappedTrait() async throws {
        let context = newCustomerContext()
        let traits: JSONObject = [
            "name": "Jane Smith", "email": "jane@example.com", "phone": "+1-555-123-4567", "company": "Example Corp",
            "title": "Marketing Manager", "website": "https://jane.example.com",
            "address": ["street": "1 Main St", "city": "Dallas", "state": "TX", "postal_code": "74206", "country": "US"],
            "plan": "Premium", "accountType": "pro",
        ]
        _ = try await HelpScout.map(Fixtures.identify(userId: "u-1", traits: traits), settings: Fixtures.helpScout(), context: context)
        let create = try #require(context.requests(.POST, "/v2/customers").first)
        #expect(create.url == "https://api.helpscout.net/v2/customers")
        #expect(create.redacted().headers == ["Authorization": "Bearer ••••a2d9", "Accept": "application/json", "Content-Type": "application/json"])
        #expect(create.jsonBody == [
            "firstName": "Jane", "lastName": "Smith", "jobTitle": "Marketing Manager", "organization": "Example Corp",
            "emails": [["type": "work", "value": "jane@example.com"]],
            "phones": [["type": "work", "value": "+1-555-123-4567"]],
            "websites": [["value": "https://jane.example.com"]],
            "address": ["city": "Dallas", "state": "TX", "postalCode": "74206", "country": "US", "lines": ["1 Main St"]],
            "properties": [["slug": "plan", "value": "Premium"], ["slug": "account-type", "value": "pro"]],
        ])
    }

    @Test func remembersTheNewCustomerIdFromTheResourceIDHeader() async throws {
        let context = newCustomerContext()
        _ = try await HelpScout.map(Fixtures.identify(userId: "Jane@Example.com"), settings: Fixtures.helpScout(), context: context)
        #expect(context.state.value(for: "helpscout.customer.jane@example.com") == "12345")
    }

    @Test func readsTheNewIdFromLocationWhenThereIsNoResourceID() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.customers())
        context.on(.POST, "/v2/customers", Fixtures.ok(status: 201, headers: ["Location": "https://api.helpscout.net/v2/customers/777"]))
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context)
        #expect(outcome == .delivered(notes: ["created customer 777"]))
    }

    @Test func aSecondIdentifyForANewEmailUpdatesInsteadOfCreatingAgain() async throws {
        let context = newCustomerContext()
        context.on(.GET, "/v2/customers/12345", Fixtures.ok(["id": 12345, "firstName": "Jane", "_embedded": ["emails": [["value": "jane@example.com"]]]]))
        context.on(.PUT, "/v2/customers/12345", Fixtures.ok(status: 204))
        let first = try Fixtures.identify(userId: "jane@example.com", traits: ["firstName": "Jane"])
        let second = try Fixtures.identify(userId: "jane@example.com", traits: ["firstName": "Jane", "lastName": "Smith"])
        _ = try await HelpScout.map(first, settings: Fixtures.helpScout(), context: context)
        let outcome = try await HelpScout.map(second, settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET \(Self.searchPath)", "POST /v2/customers", "GET /v2/customers/12345", "PUT /v2/customers/12345"])
        #expect(context.requests(.POST, "/v2/customers").count == 1)
        #expect(context.requests.last?.jsonBody == ["firstName": "Jane", "lastName": "Smith"])
        #expect(outcome == .delivered(notes: ["updated customer 12345"]))
    }

    @Test func forgetsARememberedCustomerThatNoLongerExists() async throws {
        let context = newCustomerContext()
        context.state.setValue("999", for: "helpscout.customer.jane@example.com")
        context.on(.GET, "/v2/customers/999", Fixtures.notFound)
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET /v2/customers/999", "GET \(Self.searchPath)", "POST /v2/customers"])
        #expect(outcome == .delivered(notes: ["customer 999, remembered for jane@example.com, no longer exists; searched again", "created customer 12345"]))
        #expect(context.state.value(for: "helpscout.customer.jane@example.com") == "12345")
    }

    @Test func updatesTheMatchKeepingFieldsTheTraitsDoNotSet() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.customers(["id": 55, "firstName": "Janet"]))
        context.on(.GET, "/v2/customers/55", Fixtures.ok([
            "id": 55, "firstName": "Janet", "lastName": "Smith", "background": "VIP since 2019", "organization": "Old Corp", "organizationId": 8,
            "_embedded": ["emails": [["id": 1, "type": "work", "value": "jane@example.com"]]],
        ]))
        context.on(.PUT, "/v2/customers/55", Fixtures.ok(status: 204))
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["firstName": "Jane", "company": "New Corp"]),
                                              settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET \(Self.searchPath)", "GET /v2/customers/55", "PUT /v2/customers/55"])
        // The overwrite keeps lastName and background, and drops the old organization's id with its name.
        #expect(context.requests.last?.jsonBody == ["firstName": "Jane", "lastName": "Smith", "background": "VIP since 2019", "organization": "New Corp"])
        #expect(outcome == .delivered(notes: ["updated customer 55"]))
        #expect(context.state.value(for: "helpscout.customer.jane@example.com") == "55")
    }

    @Test func sendsNoWriteWhenNothingChanged() async throws {
        let context = ScriptedContext()
        context.state.setValue("55", for: "helpscout.customer.jane@example.com")
        context.on(.GET, "/v2/customers/55", Fixtures.ok([
            "id": 55, "firstName": "Jane", "jobTitle": "CEO",
            "_embedded": ["phones": [["id": 3, "type": "work", "value": "(555) 123-4567"]]],
        ]))
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["firstName": "Jane", "position": "CEO", "phone": "555.123.4567"]),
                                              settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET /v2/customers/55"])
        #expect(outcome == .delivered(notes: ["customer 55 already up to date"]))
    }

    @Test func updatesTheFirstOfSeveralMatchesAndSaysSo() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.customers(["id": 7], ["id": 8]))
        context.on(.PATCH, "/v2/customers/7/properties", Fixtures.ok(status: 204))
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["plan": "pro"]), settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET \(Self.searchPath)", "PATCH /v2/customers/7/properties"])
        #expect(outcome == .delivered(notes: [
            "2 Help Scout customers have the email jane@example.com; updated the first (7), as Segment's integration did",
            "updated customer 7",
        ]))
    }

    @Test func patchesPropertiesWithReplaceOperations() async throws {
        let context = ScriptedContext()
        context.state.setValue("55", for: "helpscout.customer.jane@example.com")
        context.on(.GET, "/v2/customers/55", Fixtures.ok(["id": 55]))
        context.on(.PATCH, "/v2/customers/55/properties", Fixtures.ok(status: 204))
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["Plan Name": "Pro", "seats": 12, "beta": true, "tags": ["a", "b"], "gone": nil]),
                                    settings: Fixtures.helpScout(), context: context)
        let patch = try #require(context.requests(.PATCH, "/v2/customers/55/properties").first)
        #expect(patch.jsonBody == [
            ["op": "replace", "path": "/plan-name", "value": "Pro"],
            ["op": "replace", "path": "/seats", "value": 12],
            ["op": "replace", "path": "/beta", "value": "true"],
            ["op": "replace", "path": "/tags", "value": "[\"a\",\"b\"]"],
        ])
    }

    @Test func derivesPropertySlugsFromTraitKeys() {
        #expect(HelpScoutCustomer.propertySlug("accountType") == "account-type")
        #expect(HelpScoutCustomer.propertySlug("account_type") == "account-type")
        #expect(HelpScoutCustomer.propertySlug("Account Type") == "account-type")
        #expect(HelpScoutCustomer.propertySlug("userID") == "user-id")
        #expect(HelpScoutCustomer.propertySlug("address.city") == "address-city")
        #expect(HelpScoutCustomer.propertySlug("MRR") == "mrr")
        #expect(HelpScoutCustomer.propertySlug("plan2Tier") == "plan2-tier")
        #expect(HelpScoutCustomer.propertySlug("__") == "")
    }

    @Test func readsSnakeCaseNamesAndSplitsAFullName() {
        let snake = HelpScoutCustomer(email: "j@x.io", traits: ["first_name": "Jane", "last_name": "Smith"])
        #expect(snake.core == ["firstName": "Jane", "lastName": "Smith"])
        let split = HelpScoutCustomer(email: "j@x.io", traits: ["name": "Jane Q  Public"])
        #expect(split.core == ["firstName": "Jane", "lastName": "Q Public"])
        let single = HelpScoutCustomer(email: "j@x.io", traits: ["name": "Cher"])
        #expect(single.core == ["firstName": "Cher"])
        let explicitWins = HelpScoutCustomer(email: "j@x.io", traits: ["firstName": "Janey", "name": "Jane Smith"])
        #expect(explicitWins.core == ["firstName": "Janey", "lastName": "Smith"])
    }

    @Test func mapsCompanyObjectsAndPositionToOrganizationAndJobTitle() {
        let customer = HelpScoutCustomer(email: "j@x.io", traits: ["company": ["name": "Acme", "id": "c1"], "position": "CTO"])
        #expect(customer.core == ["jobTitle": "CTO", "organization": "Acme"])
        #expect(customer.properties.isEmpty)
        let titleFirst = HelpScoutCustomer(email: "j@x.io", traits: ["title": "CEO", "position": "CTO"])
        #expect(titleFirst.core == ["jobTitle": "CEO"])
    }

    @Test func shortensNamesToHelpScoutsLimitWithANote() {
        let long = String(repeating: "x", count: 45)
        let customer = HelpScoutCustomer(email: "j@x.io", traits: ["lastName": .string(long)])
        #expect(customer.core == ["lastName": .string(String(repeating: "x", count: 40))])
        #expect(customer.notes == ["lastName shortened to Help Scout's 40-character limit"])
    }

    @Test func addsOnlyThePhonesWebsitesAndEmailsTheCustomerLacks() async throws {
        let context = ScriptedContext()
        context.state.setValue("55", for: "helpscout.customer.jane@example.com")
        context.on(.GET, "/v2/customers/55", Fixtures.ok([
            "id": 55,
            "_embedded": [
                "emails": [["value": "jane@example.com"]],
                "phones": [["value": "+1 555 000 0000"]],
                "websites": [["value": "https://old.example.com/"]],
            ],
        ]))
        for path in ["emails", "phones", "websites"] { context.on(.POST, "/v2/customers/55/" + path, Fixtures.ok(status: 201)) }
        let traits: JSONObject = ["email": "jane.smith@work.example", "phone": "+1 555 999 9999", "website": "https://new.example.com"]
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: traits), settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET /v2/customers/55", "POST /v2/customers/55/emails", "POST /v2/customers/55/phones", "POST /v2/customers/55/websites"])
        #expect(context.requests[1].jsonBody == ["type": "work", "value": "jane.smith@work.example"])
        #expect(context.requests[2].jsonBody == ["type": "work", "value": "+1 555 999 9999"])
        #expect(context.requests[3].jsonBody == ["value": "https://new.example.com"])
    }

    @Test func createsWithBothEmailsWhenTraitsNameAnotherOne() async throws {
        let context = newCustomerContext()
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["email": "jane.smith@work.example"]),
                                    settings: Fixtures.helpScout(), context: context)
        #expect(context.requests.last?.jsonBody?["emails"] == [["type": "work", "value": "jane@example.com"], ["type": "work", "value": "jane.smith@work.example"]])
    }

    @Test func putsAChangedAddressAndCreatesOneWhenMissing() async throws {
        let context = ScriptedContext()
        context.state.setValue("55", for: "helpscout.customer.jane@example.com")
        context.on(.GET, "/v2/customers/55", Fixtures.ok(["id": 55]))
        context.on(.PUT, "/v2/customers/55/address", Fixtures.notFound)
        context.on(.POST, "/v2/customers/55/address", Fixtures.ok(status: 201))
        let address: JSON = ["city": "Oslo", "postalCode": "0150", "country": "NO"]
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: ["address": address]), settings: Fixtures.helpScout(), context: context)
        #expect(context.lines == ["GET /v2/customers/55", "PUT /v2/customers/55/address", "POST /v2/customers/55/address"])
        #expect(context.requests[1].jsonBody == ["city": "Oslo", "postalCode": "0150", "country": "NO"])
        #expect(context.requests[2].jsonBody == context.requests[1].jsonBody)
    }

    @Test func leavesAnUnchangedAddressAlone() {
        let customer = HelpScoutCustomer(email: "j@x.io", traits: ["address": ["city": "Oslo"]])
        #expect(customer.addressToPut(current: ["_embedded": ["address": ["id": 4, "city": "Oslo", "country": "NO"]]]) == nil)
        #expect(customer.addressToPut(current: ["_embedded": ["address": ["city": "Bergen"]]]) == ["city": "Oslo"])
    }

    @Test func usesTheBaseURLOverride() async throws {
        let context = newCustomerContext()
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(baseURL: "http://127.0.0.1:9100"), context: context)
        #expect(context.requests.map(\.url) == ["http://127.0.0.1:9100" + Self.searchPath, "http://127.0.0.1:9100/v2/customers"])
    }

    @Test(arguments: ["track", "page", "screen", "group", "alias"])
    func skipsOtherCallTypes(_ type: String) async throws {
        let context = ScriptedContext()
        let outcome = try await HelpScout.map(Fixtures.event(type, userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context)
        #expect(outcome == .skipped(reason: "Help Scout takes only identify calls; \(type) calls are not sent"))
        #expect(context.requests.isEmpty)
    }

    @Test func serializesWorkByTheLowercasedEmail() throws {
        #expect(HelpScout.serializationKey(for: try Fixtures.identify(userId: "Jane@Example.com")) == "jane@example.com")
        #expect(HelpScout.serializationKey(for: try Fixtures.identify(userId: "u-1")) == nil)
    }
}

@Suite("Help Scout errors and OAuth")
struct HelpScoutAuthTests {
    static let tokenAnswer = Fixtures.ok(["token_type": "bearer", "access_token": "369dbb08be58430086d2f8bd832bc1eb", "expires_in": 172_800])
    static let tokenKey = "helpscout.oauth." + Fixtures.helpScoutAppId

    @Test func surfacesAServerErrorWithHelpScoutsOwnMessage() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.customers())
        context.on(.POST, "/v2/customers", Fixtures.ok([
            "logRef": "64bb72b4", "message": "Validation failed",
            "_embedded": ["errors": [["path": "firstName", "message": "may not be longer than 40 characters", "source": "JSON"]]],
        ], status: 400))
        let failure = await expectStepFailure { try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context) }
        #expect(failure?.response.status == 400)
        #expect(failure?.message == "Validation failed; firstName may not be longer than 40 characters")
        #expect(failure.map { !$0.description.contains(Fixtures.helpScoutKey) } == true)
        #expect(failure?.request.headers["Authorization"] == "Bearer ••••a2d9")
    }

    @Test func surfacesA5xxFromTheSearch() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.ok(["message": "Internal Server Error"], status: 503))
        let failure = await expectStepFailure { try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context) }
        #expect(failure?.response.status == 503)
        #expect(failure?.message == "Internal Server Error")
        #expect(context.requests.count == 1)
    }

    @Test func anAPIKey401IsFinalWithoutARetry() async throws {
        let context = ScriptedContext()
        context.on(.GET, "/v2/customers?query=", Fixtures.ok(["message": "Invalid token"], status: 401))
        let failure = await expectStepFailure { try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScout(), context: context) }
        #expect(failure?.response.status == 401)
        #expect(context.requests.count == 1)
    }

    @Test func acquiresAClientCredentialsTokenAndCachesItWithItsExpiry() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/v2/oauth2/token", Self.tokenAnswer)
        context.on(.GET, "/v2/customers?query=", Fixtures.customers())
        context.on(.POST, "/v2/customers", HelpScoutIdentifyTests.created)
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScoutOAuth(), context: context)
        #expect(context.lines == ["POST /v2/oauth2/token", "GET \(HelpScoutIdentifyTests.searchPath)", "POST /v2/customers"])
        let token = context.requests[0]
        #expect(token.url == "https://api.helpscout.net/v2/oauth2/token")
        #expect(token.body == .form(["grant_type": "client_credentials", "client_id": Fixtures.helpScoutAppId, "client_secret": Fixtures.helpScoutAppSecret]))
        #expect(token.headers == ["Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"])
        #expect(token.redacted().body == .form(["grant_type": "client_credentials", "client_id": Fixtures.helpScoutAppId, "client_secret": Secret(Fixtures.helpScoutAppSecret).masked]))
        #expect(context.requests[1].headers["Authorization"] == "Bearer 369dbb08be58430086d2f8bd832bc1eb")
        #expect(context.requests[1].redacted().headers["Authorization"] == "Bearer ••••c1eb")
        #expect(context.state.value(for: Self.tokenKey) == ["accessToken": "369dbb08be58430086d2f8bd832bc1eb", "expiresAt": 1_700_172_800])
    }

    @Test func reusesACachedTokenUntilFiveMinutesBeforeItExpires() async throws {
        let context = ScriptedContext()
        context.state.setValue(["accessToken": "cachedtoken-abcdefgh", "expiresAt": 1_700_000_301], for: Self.tokenKey)
        context.on(.GET, "/v2/customers?query=", Fixtures.customers(["id": 1]))
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: [:]), settings: Fixtures.helpScoutOAuth(), context: context)
        #expect(context.lines == ["GET \(HelpScoutIdentifyTests.searchPath)"])
        #expect(context.requests[0].headers["Authorization"] == "Bearer cachedtoken-abcdefgh")
    }

    @Test func refreshesATokenWithinFiveMinutesOfExpiry() async throws {
        let context = ScriptedContext()
        context.state.setValue(["accessToken": "cachedtoken-abcdefgh", "expiresAt": 1_700_000_299], for: Self.tokenKey)
        context.on(.POST, "/v2/oauth2/token", Self.tokenAnswer)
        context.on(.GET, "/v2/customers?query=", Fixtures.customers(["id": 1]))
        _ = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: [:]), settings: Fixtures.helpScoutOAuth(), context: context)
        #expect(context.lines == ["POST /v2/oauth2/token", "GET \(HelpScoutIdentifyTests.searchPath)"])
        #expect(context.requests[1].headers["Authorization"] == "Bearer 369dbb08be58430086d2f8bd832bc1eb")
    }

    @Test func refreshesOnceAndRetriesOnceAfterA401() async throws {
        let context = ScriptedContext()
        context.state.setValue(["accessToken": "revokedtoken-abcdefgh", "expiresAt": 1_800_000_000], for: Self.tokenKey)
        context.on(.POST, "/v2/oauth2/token", Self.tokenAnswer)
        context.on(.GET, "/v2/customers?query=", Fixtures.ok(["message": "Unauthorized"], status: 401), Fixtures.customers(["id": 1]))
        let outcome = try await HelpScout.map(Fixtures.identify(userId: "jane@example.com", traits: [:]), settings: Fixtures.helpScoutOAuth(), context: context)
        #expect(context.lines == ["GET \(HelpScoutIdentifyTests.searchPath)", "POST /v2/oauth2/token", "GET \(HelpScoutIdentifyTests.searchPath)"])
        #expect(context.requests[2].headers["Authorization"] == "Bearer 369dbb08be58430086d2f8bd832bc1eb")
        #expect(outcome == .delivered(notes: ["customer 1 already up to date"]))
    }

    @Test func aSecond401AfterRefreshingFails() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/v2/oauth2/token", Self.tokenAnswer)
        context.on(.GET, "/v2/customers?query=", Fixtures.ok(["message": "Unauthorized"], status: 401))
        let failure = await expectStepFailure { try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScoutOAuth(), context: context) }
        #expect(failure?.response.status == 401)
        #expect(context.lines == ["POST /v2/oauth2/token", "GET \(HelpScoutIdentifyTests.searchPath)", "POST /v2/oauth2/token", "GET \(HelpScoutIdentifyTests.searchPath)"])
    }

    @Test func aRejectedAppSecretFailsWithTheSecretMasked() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/v2/oauth2/token", Fixtures.ok(["error": "invalid_client", "message": "Bad client credentials"], status: 401))
        let failure = await expectStepFailure { try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScoutOAuth(), context: context) }
        #expect(failure?.message == "Bad client credentials; invalid_client")
        #expect(failure.map { "\($0)" }?.contains(Fixtures.helpScoutAppSecret) == false)
        #expect(failure?.request.body == .form(["grant_type": "client_credentials", "client_id": Fixtures.helpScoutAppId, "client_secret": Secret(Fixtures.helpScoutAppSecret).masked]))
    }

    @Test func aTokenAnswerWithoutATokenIsAnError() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/v2/oauth2/token", Fixtures.ok(["token_type": "bearer"]))
        await #expect(throws: HelpScoutTokenError.self) {
            try await HelpScout.map(Fixtures.identify(userId: "jane@example.com"), settings: Fixtures.helpScoutOAuth(), context: context)
        }
    }
}
