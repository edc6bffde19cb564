import Foundation
@testable import SluiceDestinations
import SluiceSpec
import Testing

@Suite("Settings file")
struct SettingsFileTests {
    static let intercomKey = "4ad6ce80fc1d441324cfb11cdf8d3ade8fc7e8fd"

    static let file: JSON = [
        "helpscout": ["enabled": true, "apiKey": .string(Fixtures.helpScoutKey), "rateLimits": ["perMinute": 100]],
        "zendesk": ["enabled": true, "email": "ops@acme.com/token", "password": .string(Fixtures.zendeskToken), "subdomain": "acme", "plan": "enterprise"],
        "intercom": ["enabled": true, "apiKey": .string(intercomKey)],
        "clientsuccess": ["enabled": false],
    ]

    func load(_ json: JSON) -> [SettingsIssue] {
        do {
            let file = try SettingsFile(json: json)
            Issue.record("expected errors, loaded \(file)")
            return []
        } catch {
            #expect(error.destination == nil)
            return error.issues
        }
    }

    @Test func loadsEveryDestinationFromOneFile() throws {
        let file = try SettingsFile(json: Self.file)
        #expect(file.helpscout == Fixtures.helpScout().with { $0.common.rateLimits = ["perMinute": 100] })
        #expect(file.zendesk?.usesAPIToken == true)
        #expect(file.zendesk?.plan == .enterprise)
        #expect(file.intercom?.apiKey == Secret(Self.intercomKey))
        #expect(file.clientsuccess?.common.enabled == false)
        #expect(DestinationID.allCases.allSatisfy(file.isConfigured))
    }

    @Test func namesTheDestinationAndSuggestsTheFieldForAnUnknownOne() {
        let issues = load(["intercom": ["enabled": false, "apikey": .string(Self.intercomKey)]])
        #expect(issues == [SettingsIssue("intercom.apikey", "unknown field 'apikey' in intercom; did you mean 'apiKey'?")])
        #expect(!issues.description.contains(Self.intercomKey))
    }

    @Test func listsTheFieldsWhenNothingIsClose() {
        let issues = load(["helpscout": ["mailbox": 12]])
        #expect(issues == [SettingsIssue("helpscout.mailbox", "unknown field 'mailbox' in helpscout; Help Scout has: apiKey, appId, appSecret, enabled, baseURL, rateLimits")])
    }

    @Test func suggestsTheDestinationKeyForAnUnknownOne() {
        let issues = load(["help_scout": [:], "Zendesk": [:], "salesforce": [:]])
        #expect(issues == [
            SettingsIssue("help_scout", "unknown destination 'help_scout'; did you mean 'helpscout'?"),
            SettingsIssue("Zendesk", "unknown destination 'Zendesk'; did you mean 'zendesk'?"),
            SettingsIssue("salesforce", "unknown destination 'salesforce'; the file may hold helpscout, zendesk, clientsuccess, intercom"),
        ])
    }

    @Test func collectsEveryErrorOfEveryDestinationWithItsPath() {
        let issues = load([
            "helpscout": ["enabled": true, "rateLimits": ["perMinute": 500, "perHour": 10]],
            "zendesk": ["subdomain": "acme_support", "plan": "gold", "verifed": true],
        ])
        #expect(issues.map(\.field) == [
            "helpscout.rateLimits.perMinute", "helpscout.rateLimits.perHour", "helpscout.apiKey",
            "zendesk.verifed", "zendesk.subdomain", "zendesk.plan",
        ])
        #expect(issues[3].message == "unknown field 'verifed' in zendesk; did you mean 'verified'?")
        let error = SettingsError(nil, issues)
        #expect(error.description.hasPrefix("settings: helpscout.rateLimits.perMinute: Help Scout documents 200 requests per minute"))
    }

    @Test func refusesAFileOrDestinationThatIsNotAnObject() {
        #expect(load(["helpscout"]).map(\.message) == ["the settings file must be a JSON object keyed by destination (helpscout, zendesk, clientsuccess, intercom), not an array"])
        #expect(load(["zendesk": "acme"]) == [SettingsIssue("zendesk", "must be an object of Zendesk settings, not a string")])
    }

    @Test func reportsTextThatIsNotJSON() {
        #expect(throws: SettingsError.self) { try SettingsFile(text: "{\"helpscout\": {") }
        do {
            _ = try SettingsFile(text: "{\"helpscout\": {")
        } catch {
            #expect(error.issues.first?.message.hasPrefix("the settings file is not valid JSON: ") == true)
        }
    }

    @Test func aNullDestinationIsNotConfigured() throws {
        let file = try SettingsFile(json: ["helpscout": nil])
        #expect(!file.isConfigured(.helpscout))
        #expect(file.json(revealSecrets: true) == [:])
    }

    @Test func exportsWithSecretsMaskedUnlessRevealed() throws {
        let file = try SettingsFile(json: Self.file)
        let masked = file.json(revealSecrets: false)
        #expect(masked["helpscout"]?["apiKey"] == .string(Secret(Fixtures.helpScoutKey).masked))
        #expect(masked["zendesk"]?["password"] == .string(Secret(Fixtures.zendeskToken).masked))
        for text in [file.text(revealSecrets: false)] + Fixtures.renderings(file) {
            for secret in [Fixtures.helpScoutKey, Fixtures.zendeskToken, Self.intercomKey] { #expect(!text.contains(secret)) }
        }
        #expect(file.json(revealSecrets: true)["zendesk"]?["password"] == .string(Fixtures.zendeskToken))
    }

    @Test func roundTripsThroughItsText() throws {
        let file = try SettingsFile(json: Self.file)
        let text = file.text(revealSecrets: true)
        #expect(text.hasPrefix("{\n  \"helpscout\": {\n    \"enabled\": true,"))
        #expect(try SettingsFile(text: text) == file)
        #expect(Array(file.json(revealSecrets: true).objectValue!.keys) == ["helpscout", "zendesk", "clientsuccess", "intercom"])
    }

    @Test func aMaskedExportCannotBeLoadedBackAsSecrets() throws {
        let masked = try SettingsFile(json: Self.file).json(revealSecrets: false)
        let issues = load(["helpscout": masked["helpscout"]!])
        #expect(issues.map(\.field) == ["helpscout.apiKey"])
        #expect(issues[0].message.contains("masked value from an export"))
    }

    @Test func getsSetsAndRemovesOneDestination() throws {
        var file = SettingsFile()
        file.set(Fixtures.zendesk())
        #expect(file.zendesk == Fixtures.zendesk())
        #expect(file.settings(for: .zendesk) as? ZendeskSettings == Fixtures.zendesk())
        try file.update(.helpscout, json: ["enabled": true, "apiKey": .string(Fixtures.helpScoutKey)])
        #expect(file.helpscout == Fixtures.helpScout())
        file.remove(.zendesk)
        #expect(!file.isConfigured(.zendesk))
        #expect(file.isConfigured(.helpscout))
    }

    @Test func updateReportsIssuesWithTheirPaths() {
        var file = SettingsFile()
        #expect(throws: SettingsError.self) { try file.update(.zendesk, json: ["enabled": true, "subdomain": "acme"]) }
        do {
            try file.update(.zendesk, json: ["enabled": true, "subdomain": "acme"])
        } catch {
            #expect(error.issues.map(\.field) == ["zendesk.email", "zendesk.password"])
        }
        #expect(file.zendesk == nil)
    }

    @Test func collectsNoticesWithTheirPaths() throws {
        let file = try SettingsFile(json: ["zendesk": ["subdomain": "https://acme.zendesk.com"]])
        #expect(file.notices == [SettingsIssue("zendesk.subdomain", "removed 'https://' and '.zendesk.com'; the subdomain is 'acme'", severity: .notice)])
    }

    @Test func validatesOneFieldOfAnyDestination() {
        #expect(SettingsFile.validate(.zendesk, field: "subdomain", value: "acme.zendesk.com").map(\.severity) == [.notice])
        #expect(SettingsFile.validate(.helpscout, field: "apiKey", value: "short").map(\.field) == ["apiKey"])
        #expect(SettingsFile.validate(.helpscout, field: "rateLimits.perMinute", value: 150).isEmpty)
        #expect(SettingsFile.validate(.intercom, field: "apikey", value: "x").map(\.message) == ["unknown field 'apikey' in intercom; did you mean 'apiKey'?"])
        #expect(SettingsFile.validate(.helpscout, field: "enabled", value: "yes").count == 1)
    }

    @Test func validatesAWholeDraftIncludingRulesAcrossFields() {
        #expect(SettingsFile.validate(.helpscout, draft: ["enabled": true, "apiKey": .string(Fixtures.helpScoutKey)]).isEmpty)
        #expect(SettingsFile.validate(.helpscout, draft: ["enabled": true]).map(\.field) == ["apiKey"])
        #expect(SettingsFile.validate(.zendesk, draft: ["plan": "team", "rateLimits": ["perMinute": 700]]).map(\.field) == ["rateLimits.perMinute"])
    }

    @Test func listsTheFormFieldsOfEachDestination() {
        #expect(SettingsFile.fields(for: .helpscout) == HelpScoutSettings.fields)
        #expect(SettingsFile.fields(for: .zendesk).first?.key == "email")
        for id in DestinationID.allCases {
            #expect(SettingsFile.fields(for: id).contains { $0.key == "enabled" })
        }
    }

    @Test func fallsBackToDisabledDefaults() throws {
        let file = SettingsFile()
        for id in DestinationID.allCases {
            let defaults = try #require(file.settingsOrDefaults(for: id))
            #expect(!defaults.common.enabled)
        }
    }

    @Test func suggestsOnlyCloseNames() {
        #expect(SettingsSpelling.closest(to: "api_key", among: ["apiKey", "appId"]) == "apiKey")
        #expect(SettingsSpelling.closest(to: "subdomian", among: ["subdomain", "email"]) == "subdomain")
        #expect(SettingsSpelling.closest(to: "token", among: ["subdomain", "email"]) == nil)
    }
}

extension HelpScoutSettings {
    fileprivate func with(_ change: (inout HelpScoutSettings) -> Void) -> HelpScoutSettings {
        var copy = self
        change(&copy)
        return copy
    }
}
