import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing
@testable import SluiceConsole

/// The console's reads and writes against a real SQLite store, as `sluice dash` does them.
@Suite struct LoaderTests {
    func temporaryStore() throws -> (SQLiteEventStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-console-\(UUID().uuidString)").path
        return (try SQLiteEventStore(path: directory + "/test.sqlite"), directory)
    }

    @Test func loadsSettingsStatsLimitsAndDeadLetterCounts() async throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await StoredSettings.save(Fixtures.settings, id: .intercom, store: store, changed: ["apiKey"], origin: "test")
        let now = Date()
        let second = now.millis / 1000
        var first = StatsSecond(destination: "intercom", second: second - 3)
        first.delivered = 5
        try await store.writeStats([first], skipReasons: ["intercom": ["no email": 2]], keepSeconds: 3600)
        try await store.writeRateLimits(Fixtures.data.rateLimits[.intercom]!)

        let loader = ConsoleLoader(store: store)
        var data = await loader.load(selected: .intercom, now: now)
        #expect(data.loadError == nil)
        #expect(data.settings.intercom?.appId == "abc12345")
        #expect(data.settingsVersion > 0)
        #expect(data.audit.first?.field == "apiKey")
        #expect(data.audit.first?.origin == "test")
        #expect(data.stats[.intercom]?.map(\.delivered) == [5])
        #expect(data.skipReasons[.intercom]?.first?.reason == "no email")
        #expect(data.rateLimits[.intercom]?.first?.remaining == 40)

        // The next refresh rereads only the last seconds and keeps what it had.
        var next = StatsSecond(destination: "intercom", second: second - 1)
        next.delivered = 7
        try await store.writeStats([next], skipReasons: [:], keepSeconds: 3600)
        data = await loader.load(selected: .intercom, now: now)
        #expect(data.stats[.intercom]?.map(\.delivered) == [5, 7])
    }

    @Test func aSettingsSaveFromTheConsoleIsAuditedWithoutItsValue() async throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var file = Fixtures.settings
        var object = file.intercom!.json(revealSecrets: true)
        object["defaultNestedHandling"] = "stringify"
        try file.update(.intercom, json: object)
        try await StoredSettings.save(file, id: .intercom, store: store, changed: ["defaultNestedHandling"], origin: "console")
        let (loaded, problem) = try await StoredSettings.load(store)
        #expect(problem == nil)
        #expect(loaded.intercom?.json(revealSecrets: false)["defaultNestedHandling"] == .string("stringify"))
        let audit = try await store.settingsAudit(limit: 10)
        #expect(audit.map(\.field) == ["defaultNestedHandling"])
        #expect(audit.first?.osUser == StoredSettings.osUser)
        #expect(!audit.contains { $0.field.contains(Fixtures.intercomKey) })
    }

    @Test func commandsReachTheStore() async throws {
        let (store, directory) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = ConsoleOptions(store: store, databaseLabel: "", theme: nil, themeSearchPaths: [], colour: false,
                                     refreshSeconds: nil, preferences: ConsolePreferences(path: nil))
        let mailbox = Mailbox()
        var draft = Fixtures.settings.intercom!.json(revealSecrets: true)
        draft["appId"] = "newapp12"
        await ConsoleApp.perform(.saveSettings(.intercom, draft: draft, changed: ["appId"]), options: options, mailbox: mailbox)
        guard case .saved(.intercom, _, _, let stored) = mailbox.takeMessages().first, stored["appId"] == .string("newapp12") else { Issue.record("not saved"); return }
        #expect(try await StoredSettings.load(store).0.intercom?.appId == "newapp12")

        var invalid = draft
        invalid["defaultNestedHandling"] = "squash"
        await ConsoleApp.perform(.saveSettings(.intercom, draft: invalid, changed: ["defaultNestedHandling"]), options: options, mailbox: mailbox)
        guard case .saveFailed(.intercom, let reason) = mailbox.takeMessages().first else { Issue.record("saved an invalid draft"); return }
        #expect(reason.contains("defaultNestedHandling"))

        let message = await ConsoleApp.runPreview("[1,2]", store: store)
        guard case .preview(let results, let error) = message else { Issue.record("no preview"); return }
        #expect(results.isEmpty)
        #expect(error == "The event must be a JSON object, not an array.")
    }

    @Test func preferencesRememberThemeAndRefresh() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-prefs-\(UUID().uuidString)/dash.conf").path
        let preferences = ConsolePreferences(path: path)
        #expect(preferences.load() == ConsolePreferences.Values())
        preferences.save(theme: "nord", refreshSeconds: nil)
        preferences.save(theme: nil, refreshSeconds: 2)
        #expect(preferences.load() == ConsolePreferences.Values(theme: "nord", refreshSeconds: 2))
    }
}
