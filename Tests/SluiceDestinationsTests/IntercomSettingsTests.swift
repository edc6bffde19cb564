import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct IntercomSettingsTests {
    let key = Canned.intercomKey

    func issues(_ json: JSONObject) -> [SettingsIssue] {
        do {
            _ = try IntercomSettings(json: json)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func emptyObjectGivesDisabledDefaults() throws {
        let settings = try IntercomSettings(json: [:])
        #expect(settings.common.enabled == false)
        #expect(settings.apiKey.isEmpty)
        #expect(settings.defaultNestedHandling == .flatten)
        #expect(settings.nestedHandling.isEmpty)
        #expect(settings.richLinkProperties.isEmpty)
        #expect(settings.collectContext == false)
        #expect(settings.inboxButtonSelector == "#IntercomDefaultWidget")
        #expect(settings.apiBaseURL == "https://api.intercom.io")
        #expect(settings.rateLimits == [RateLimitWindow(key: "perTenSeconds", label: "requests per 10 seconds", limit: 166, seconds: 10)])
    }

    @Test func parsesEveryFieldAndRoundTripsThroughRevealedJSON() throws {
        let json: JSONObject = [
            "enabled": true, "apiKey": .string(key), "appId": "9iefb489", "collectContext": true,
            "defaultNestedHandling": "stringify", "nestedHandling": ["address": "flatten", "address.geo": "drop"],
            "richLinkProperties": ["order_number", "article"], "inboxButtonSelector": "#my-button",
            "baseURL": "http://127.0.0.1:9100", "rateLimits": ["perTenSeconds": 100],
        ]
        let settings = try IntercomSettings(json: json)
        #expect(settings.apiKey.reveal() == key)
        #expect(settings.appId == "9iefb489")
        #expect(settings.collectContext)
        #expect(settings.defaultNestedHandling == .stringify)
        #expect(settings.nestedHandling == ["address": .flatten, "address.geo": .drop])
        #expect(settings.richLinkProperties == ["order_number", "article"])
        #expect(settings.inboxButtonSelector == "#my-button")
        #expect(settings.apiBaseURL == "http://127.0.0.1:9100")
        #expect(settings.rateLimits.map(\.limit) == [100])
        #expect(try IntercomSettings(json: settings.json(revealSecrets: true)) == settings)
    }

    @Test func apiKeyMustBeFortyCharactersAndTheErrorKeepsItSecret() {
        let nearMiss = String(key.dropLast())
        let found = issues(["apiKey": .string(nearMiss)])
        #expect(found.map(\.field) == ["apiKey"])
        #expect(found[0].message.contains("40 characters"))
        #expect(found[0].message.contains("39"))
        #expect(!found[0].message.contains(nearMiss))
    }

    @Test func apiKeyIsRequiredOnlyOnceEnabled() {
        #expect(issues(["enabled": false]).isEmpty)
        let found = issues(["enabled": true])
        #expect(found.map(\.field) == ["apiKey"])
        #expect(found[0].message.contains("API key"))
    }

    @Test func apiKeyAroundWhitespaceIsTrimmedWithANotice() throws {
        let settings = try IntercomSettings(json: ["apiKey": .string(" \(key)\n")])
        #expect(settings.apiKey.reveal() == key)
        #expect(settings.notices.map(\.field) == ["apiKey"])
        #expect(settings.notices[0].severity == .notice)
    }

    @Test func aMaskedKeyFromAnExportIsRefused() {
        let found = issues(["apiKey": .string(Secret(key).masked)])
        #expect(found.map(\.field) == ["apiKey"])
        #expect(found[0].message.contains("masked"))
    }

    @Test(arguments: ["9iefb489", "5113430c43a1b34770769dedb3eb3435be1dd1e9"])
    func appIdOfEightOrFortyCharactersIsAccepted(_ appId: String) throws {
        #expect(try IntercomSettings(json: ["appId": .string(appId)]).appId == appId)
    }

    @Test(arguments: ["9iefb48", "9iefb4890", "9iefb48!"])
    func otherAppIdsAreRefused(_ appId: String) {
        #expect(issues(["appId": .string(appId)]).map(\.field) == ["appId"])
    }

    @Test func nestedHandlingAcceptsAnObjectOrTheFormsPairs() throws {
        let fromObject = try IntercomSettings(json: ["nestedHandling": ["address": "stringify"]])
        let fromText = try IntercomSettings(json: ["nestedHandling": "address = stringify, tags=drop"])
        #expect(fromObject.nestedHandling == ["address": .stringify])
        #expect(fromText.nestedHandling == ["address": .stringify, "tags": .drop])
    }

    @Test func unknownHandlingModesAreNamed() {
        let inMap = issues(["nestedHandling": ["address": "explode"]])
        #expect(inMap.map(\.field) == ["nestedHandling"])
        #expect(inMap[0].message.contains("address"))
        let asDefault = issues(["defaultNestedHandling": "explode"])
        #expect(asDefault.map(\.field) == ["defaultNestedHandling"])
        #expect(asDefault[0].message.contains("flatten, stringify, drop"))
    }

    @Test func richLinkPropertiesAcceptAListOrCommaSeparatedText() throws {
        #expect(try IntercomSettings(json: ["richLinkProperties": ["a", "b"]]).richLinkProperties == ["a", "b"])
        #expect(try IntercomSettings(json: ["richLinkProperties": "a, b,,a"]).richLinkProperties == ["a", "b"])
        #expect(issues(["richLinkProperties": [1]]).map(\.field) == ["richLinkProperties"])
    }

    @Test func unknownFieldsAreErrorsNamingThem() {
        let found = issues(["apikey": .string(key), "colour": "red"])
        #expect(found.map(\.field) == ["apikey", "colour"])
        #expect(found[0].message.contains("'apikey'"))
        #expect(found[0].message.contains("apiKey"))
    }

    @Test func baseURLMustBeHTTP() {
        #expect(issues(["baseURL": "ftp://example.com"]).map(\.field) == ["baseURL"])
        #expect(issues(["baseURL": "https://"]).map(\.field) == ["baseURL"])
        #expect(issues(["baseURL": "https://example.com/?a=1"]).map(\.field) == ["baseURL"])
        #expect(issues(["baseURL": "http://localhost:99999"]).map(\.field) == ["baseURL"])
        #expect(issues(["baseURL": "http://localhost:9100/intercom"]).isEmpty)
    }

    @Test func baseURLTrailingSlashIsRemovedWithANotice() throws {
        let settings = try IntercomSettings(json: ["baseURL": "https://sandbox.example.com/"])
        #expect(settings.apiBaseURL == "https://sandbox.example.com")
        #expect(settings.notices.map(\.field) == ["baseURL"])
    }

    @Test func rateLimitsMayOnlyBeLowered() throws {
        let raised = issues(["rateLimits": ["perTenSeconds": 500]])
        #expect(raised.map(\.field) == ["rateLimits.perTenSeconds"])
        #expect(raised[0].message.contains("166"))
        #expect(raised[0].message.contains("lowered"))
        #expect(issues(["rateLimits": ["perTenSeconds": 0]]).map(\.field) == ["rateLimits.perTenSeconds"])
        #expect(issues(["rateLimits": ["perMinute": 10]])[0].message.contains("perTenSeconds"))
        let lowered = try IntercomSettings(json: ["rateLimits": ["perTenSeconds": 50]])
        #expect(lowered.rateLimits.map(\.limit) == [50])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = issues(["apiKey": "short", "appId": "x", "defaultNestedHandling": 3, "enabled": "yes"])
        #expect(Set(found.map(\.field)) == ["apiKey", "appId", "defaultNestedHandling", "enabled"])
    }

    @Test func secretsStayMaskedInDescriptionsDumpsErrorsAndExports() throws {
        let settings = try IntercomSettings(json: ["enabled": true, "apiKey": .string(key)])
        #expect(!"\(settings)".contains(key))
        #expect(!String(reflecting: settings).contains(key))
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains(key))
        #expect(dumped.contains("••••9c2e"))
        let exported = settings.json(revealSecrets: false)
        #expect(exported["apiKey"] == .string("••••9c2e"))
        #expect(!JSONWriter.string(.object(exported)).contains(key))
        #expect(settings.json(revealSecrets: true)["apiKey"] == .string(key))
        #expect(settings.secrets == [Secret(key)])
        do {
            _ = try IntercomSettings(json: ["apiKey": .string(key), "appId": "bad"])
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains(key))
        }
    }

    @Test func inlineValidationChecksOneFieldAtATime() {
        #expect(IntercomSettings.validate(field: "apiKey", value: .string(key)).isEmpty)
        #expect(IntercomSettings.validate(field: "apiKey", value: "abc").map(\.field) == ["apiKey"])
        #expect(IntercomSettings.validate(field: "apiKey", value: .null).isEmpty)
        #expect(IntercomSettings.validate(field: "appId", value: "9iefb489").isEmpty)
        #expect(IntercomSettings.validate(field: "rateLimits.perTenSeconds", value: 167)[0].message.contains("166"))
        #expect(IntercomSettings.validate(field: "rateLimits.perTenSeconds", value: 166).isEmpty)
        #expect(IntercomSettings.validate(field: "nestedHandling", value: "a=flatten").isEmpty)
        #expect(IntercomSettings.validate(field: "baseURL", value: "https://x.example/")[0].severity == .notice)
        #expect(IntercomSettings.validate(field: "colour", value: "red").map(\.field) == ["colour"])
    }

    @Test func fieldsFollowTheDocThenTheSharedOnes() {
        let keys = IntercomSettings.fields.map(\.key)
        #expect(keys == [
            "inboxButtonSelector", "apiKey", "appId", "nestedHandling", "collectContext", "defaultNestedHandling",
            "richLinkProperties", "enabled", "baseURL", "rateLimits.perTenSeconds",
        ])
        #expect(IntercomSettings.fields.first { $0.key == "apiKey" }?.kind == .secret)
        #expect(IntercomSettings.fields.first { $0.key == "defaultNestedHandling" }?.kind == .choice(["flatten", "stringify", "drop"]))
    }
}
