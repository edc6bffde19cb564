import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct ClientSuccessTests {
    let settings = Canned.clientSuccess()
    let projectPath = "/collector/1.0.0/projects/\(Canned.projectId)"

    func run(_ event: Event, _ context: ScriptedContext, settings: ClientSuccessSettings? = nil) async throws -> MappingOutcome {
        try await ClientSuccess.map(event, settings: settings ?? self.settings, context: context)
    }

    /// A context whose state already knows u1's group, and a collector that accepts everything.
    func grouped() -> ScriptedContext {
        let context = ScriptedContext(state: InMemoryMappingState(["clientsuccess.group:u1": ["id": "org-9", "name": "Initech"]]))
        context.on(.POST, projectPath, Canned.created)
        return context
    }

    func path(_ request: HTTPRequest) -> String { request.redacted().pathAndQuery }

    // MARK: - group

    @Test func aGroupPostsTheOrganizationWithTheKeyInTheQueryMaskedInSnapshots() async throws {
        let context = ScriptedContext()
        context.on(.POST, projectPath + "/group", Canned.created)
        let event = try Canned.group("org-9", ["name": "Initech", "plan": "gold"], context: ["traits": ["email": "p@initech.com", "name": "Peter"]])
        #expect(try await run(event, context) == .delivered)
        let request = context.requests[0]
        #expect(request.method == .POST)
        #expect(request.url == "https://usage.clientsuccess.com\(projectPath)/group?api_key=\(Canned.clientSuccessKey)")
        #expect(path(request) == "\(projectPath)/group?api_key=••••cdef")
        #expect(!"\(request.redacted())".contains(Canned.clientSuccessKey))
        #expect(request.redacted().headers == ["Accept": "application/json", "Content-Type": "application/json"])
        #expect(request.jsonBody == [
            "identity": ["organization": ["id": "org-9", "name": "Initech"], "user": ["id": "u1", "name": "Peter", "email": "p@initech.com"]],
            "attributes": ["plan": "gold"],
        ])
        #expect(context.state.value(for: "clientsuccess.group:u1") == ["id": "org-9", "name": "Initech"])
    }

    @Test func aGroupNeedsAName() async throws {
        let context = ScriptedContext()
        let outcome = try await run(try Canned.group("org-9", ["plan": "gold"]), context)
        #expect(Canned.skipReason(outcome) == "ClientSuccess requires a groupId and a group name; this call has no group name (traits.name)")
        #expect(context.requests.isEmpty)
        #expect(context.state.value(for: "clientsuccess.group:u1") == nil)
    }

    @Test func aFailedGroupReleasesNothing() async throws {
        let context = ScriptedContext()
        context.on(.POST, projectPath + "/group", HTTPResponse(status: 422, json: ["created": false, "message": "unknown project"]))
        let failure = await Canned.failure { try await run(try Canned.group("org-9", ["name": "Initech"]), context) }
        #expect(failure?.response.status == 422)
        #expect(failure?.message == "unknown project")
        #expect(failure.map { !"\($0)".contains(Canned.clientSuccessKey) } == true)
        #expect(context.state.value(for: "clientsuccess.group:u1") == nil)
    }

    @Test func createdFalseIsAFailureEvenUnderA200() async throws {
        let context = ScriptedContext()
        context.on(.POST, projectPath, HTTPResponse(status: 200, json: ["created": false]))
        let failure = await Canned.failure { try await run(try Canned.group("org-9", ["name": "Initech"]), context) }
        #expect(failure?.response.status == 200)
    }

    @Test func groupCallsReleaseTheirUsersHolds() throws {
        #expect(ClientSuccess.releaseKeys(satisfiedBy: try Canned.group("org-9", ["name": "Initech"])) == ["clientsuccess.group:u1"])
        #expect(ClientSuccess.releaseKeys(satisfiedBy: try Canned.track("Signed Up")).isEmpty)
        #expect(ClientSuccess.releaseKey(forUser: "u1") == "clientsuccess.group:u1")
    }

    // MARK: - track and page

    @Test func aTrackOfAGroupedUserIsACustomEvent() async throws {
        let context = grouped()
        let event = try Canned.track("Signed Up", ["plan": "pro"], context: ["traits": ["email": "p@initech.com", "firstName": "Peter", "lastName": "Gibbons"]])
        #expect(try await run(event, context) == .delivered)
        #expect(path(context.requests[0]) == "\(projectPath)/events/Signed%20Up?api_key=••••cdef")
        #expect(context.requests[0].jsonBody == [
            "identity": ["organization": ["id": "org-9", "name": "Initech"], "user": ["id": "u1", "name": "Peter Gibbons", "email": "p@initech.com"]],
            "value": 1,
        ])
    }

    @Test func aTrackBeforeTheUsersGroupIsHeld() async throws {
        let context = ScriptedContext()
        let outcome = try await run(try Canned.track("Signed Up"), context)
        #expect(outcome == .held(reason: "waiting for u1's group call", releaseKey: "clientsuccess.group:u1"))
        #expect(context.requests.isEmpty)
    }

    @Test func heldCallsAreDeliveredWhenReRunAfterTheGroup() async throws {
        let context = ScriptedContext()
        context.on(.POST, projectPath, Canned.created)
        let track = try Canned.track("Signed Up")
        let page = try makeEvent(["type": "page", "userId": "u1", "name": "Pricing"])
        guard case .held(_, let key)? = try? await run(track, context) else { Issue.record("track not held"); return }
        #expect(try await run(page, context) == .held(reason: "waiting for u1's group call", releaseKey: key))

        let group = try Canned.group("org-9", ["name": "Initech"])
        #expect(try await run(group, context) == .delivered)
        #expect(ClientSuccess.releaseKeys(satisfiedBy: group) == [key])

        #expect(try await run(track, context) == .delivered)
        #expect(try await run(page, context) == .delivered)
        #expect(context.lines.map { $0.components(separatedBy: "?")[0] } == [
            "POST \(projectPath)/group", "POST \(projectPath)/events/Signed%20Up", "POST \(projectPath)/events/Viewed%20Pricing%20Page",
        ])
    }

    @Test(arguments: [
        (["name": "Pricing"], "Viewed%20Pricing%20Page"),
        (["name": "Setup", "category": "Docs"], "Viewed%20Docs%20Setup%20Page"),
        ([:], "Loaded%20a%20Page"),
    ] as [(JSONObject, String)])
    func pagesBecomeViewedPageEvents(_ fields: JSONObject, _ encodedName: String) async throws {
        let context = grouped()
        var payload: JSONObject = ["type": "page", "userId": "u1"]
        for field in fields { payload[field.key] = field.value }
        _ = try await run(try makeEvent(payload), context)
        #expect(path(context.requests[0]) == "\(projectPath)/events/\(encodedName)?api_key=••••cdef")
    }

    @Test func theUsersIdentifyFillsInNameAndEmailForLaterEvents() async throws {
        let context = grouped()
        _ = try await run(try Canned.identify(["first_name": "Peter", "last_name": "Gibbons", "email": "p@initech.com"]), context)
        _ = try await run(try Canned.track("Signed Up"), context)
        #expect(context.requests[1].jsonBody?["identity"]?["user"] == ["id": "u1", "name": "Peter Gibbons", "email": "p@initech.com"])
    }

    @Test func anonymousCallsAreSkipped() async throws {
        let context = grouped()
        let outcome = try await run(try Canned.track("Signed Up", userId: nil), context)
        #expect(Canned.skipReason(outcome)?.contains("userId") == true)
        #expect(context.requests.isEmpty)
    }

    @Test func screenAndAliasAreSkipped() async throws {
        let context = grouped()
        #expect(Canned.skipReason(try await run(try makeEvent(["type": "screen", "userId": "u1", "name": "Home"]), context)) != nil)
        #expect(Canned.skipReason(try await run(try makeEvent(["type": "alias", "userId": "u1", "previousId": "a"]), context)) != nil)
        #expect(context.requests.isEmpty)
    }

    // MARK: - identify

    @Test func identifySendsNamesEmailAndOtherTraitsAsAttributes() async throws {
        let context = grouped()
        let traits: JSONObject = ["first_name": "Peter", "lastName": "Gibbons", "email": "p@initech.com", "title": "Engineer", "seats": 3]
        #expect(try await run(try Canned.identify(traits), context) == .delivered)
        #expect(path(context.requests[0]) == "\(projectPath)/identify?api_key=••••cdef")
        #expect(context.requests[0].jsonBody == [
            "identity": [
                "organization": ["id": "org-9", "name": "Initech"],
                "user": ["id": "u1", "name": "Peter Gibbons", "email": "p@initech.com", "firstName": "Peter", "lastName": "Gibbons"],
            ],
            "attributes": ["title": "Engineer", "seats": 3],
        ])
    }

    @Test func anIdentifyBeforeTheGroupIsHeldButRemembersTheUser() async throws {
        let context = ScriptedContext()
        let outcome = try await run(try Canned.identify(["name": "Peter", "email": "p@initech.com"]), context)
        #expect(outcome == .held(reason: "waiting for u1's group call", releaseKey: "clientsuccess.group:u1"))
        #expect(context.requests.isEmpty)
        #expect(context.state.value(for: "clientsuccess.user:u1") == ["name": "Peter", "email": "p@initech.com"])
    }

    @Test func aCollectorErrorSurfacesWithItsMessage() async throws {
        let context = ScriptedContext(state: InMemoryMappingState(["clientsuccess.group:u1": ["id": "org-9", "name": "Initech"]]))
        context.on(.POST, projectPath, HTTPResponse(status: 500, body: Array("upstream timeout".utf8)))
        let failure = await Canned.failure { try await run(try Canned.track("Signed Up"), context) }
        #expect(failure?.response.status == 500)
        #expect(failure?.message == "upstream timeout")
        #expect(failure?.request.url.contains(Canned.clientSuccessKey) == false)
    }

    @Test func theBaseURLOverrideIsUsed() async throws {
        var settings = Canned.clientSuccess()
        settings.common.baseURL = "http://127.0.0.1:9200"
        let context = grouped()
        _ = try await run(try Canned.track("Signed Up"), context, settings: settings)
        #expect(context.requests[0].url.hasPrefix("http://127.0.0.1:9200\(projectPath)/events/Signed%20Up?api_key="))
    }
}

@Suite struct ClientSuccessSettingsTests {
    func issues(_ json: JSONObject) -> [SettingsIssue] {
        do {
            _ = try ClientSuccessSettings(json: json)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func defaultsAreDisabledWithADayLongHold() throws {
        let settings = try ClientSuccessSettings(json: [:])
        #expect(settings.common.enabled == false)
        #expect(settings.holdTimeout == 86_400)
        #expect(settings.rateLimits == [RateLimitWindow(key: "perSecond", label: "requests per second", limit: 10, seconds: 1)])
        #expect(settings.apiBaseURL == "https://usage.clientsuccess.com")
    }

    @Test func parsesAndRoundTrips() throws {
        let json: JSONObject = [
            "enabled": true, "apiKey": .string(Canned.clientSuccessKey), "projectId": .string(Canned.projectId),
            "holdTimeout": "2h", "rateLimits": ["perSecond": 4],
        ]
        let settings = try ClientSuccessSettings(json: json)
        #expect(settings.apiKey.reveal() == Canned.clientSuccessKey)
        #expect(settings.projectId == Canned.projectId)
        #expect(settings.holdTimeout == 7200)
        #expect(settings.rateLimits.map(\.limit) == [4])
        #expect(settings.json(revealSecrets: true)["holdTimeout"] == 7200)
        #expect(try ClientSuccessSettings(json: settings.json(revealSecrets: true)) == settings)
    }

    @Test(arguments: [(JSON.int(3600), 3600.0), (.string("90m"), 5400), (.string("7d"), 604_800), (.string(" 120 "), 120)] as [(JSON, Double)])
    func holdTimeoutTakesSecondsOrAUnit(_ value: JSON, _ seconds: Double) throws {
        #expect(try ClientSuccessSettings(json: ["holdTimeout": value]).holdTimeout == seconds)
    }

    @Test(arguments: [JSON.int(5), .string("31d"), .string("soon"), .bool(true)])
    func holdTimeoutOutsideAMinuteToThirtyDaysIsRefused(_ value: JSON) {
        #expect(issues(["holdTimeout": value]).map(\.field) == ["holdTimeout"])
    }

    @Test func credentialsAreRequiredOnceEnabled() {
        #expect(issues(["enabled": true]).map(\.field) == ["apiKey", "projectId"])
        #expect(issues(["enabled": false]).isEmpty)
    }

    @Test func theProjectIdMustBeSafeInAPath() {
        #expect(issues(["projectId": "abc/def"]).map(\.field) == ["projectId"])
        #expect(issues(["projectId": "abc-DEF_123"]).isEmpty)
    }

    @Test func rateLimitsMayOnlyBeLoweredBelowSluicesDefault() {
        let found = issues(["rateLimits": ["perSecond": 50]])
        #expect(found.map(\.field) == ["rateLimits.perSecond"])
        #expect(found[0].message.contains("10 requests per second"))
        #expect(found[0].message.contains("publishes no rate limit"))
    }

    @Test func unknownFieldsAreNamed() {
        let found = issues(["sourceId": "x"])
        #expect(found.map(\.field) == ["sourceId"])
        #expect(found[0].message.contains("sourceId"))
    }

    @Test func secretsStayMasked() throws {
        let key = Canned.clientSuccessKey
        let settings = try ClientSuccessSettings(json: ["enabled": true, "apiKey": .string(key), "projectId": "p1"])
        #expect(!"\(settings)".contains(key))
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains(key))
        #expect(settings.json(revealSecrets: false)["apiKey"] == "••••cdef")
        #expect(settings.secrets == [Secret(key)])
        do {
            _ = try ClientSuccessSettings(json: ["apiKey": .string(key), "projectId": "bad id"])
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains(key))
        }
    }

    @Test func inlineValidation() {
        #expect(ClientSuccessSettings.validate(field: "holdTimeout", value: "24h").isEmpty)
        #expect(ClientSuccessSettings.validate(field: "holdTimeout", value: "1s").map(\.field) == ["holdTimeout"])
        #expect(ClientSuccessSettings.validate(field: "rateLimits.perSecond", value: 11).map(\.field) == ["rateLimits.perSecond"])
        #expect(ClientSuccessSettings.validate(field: "apiKey", value: "has space").map(\.field) == ["apiKey"])
        #expect(ClientSuccessSettings.fields.map(\.key) == ["apiKey", "projectId", "holdTimeout", "enabled", "baseURL", "rateLimits.perSecond"])
    }
}
