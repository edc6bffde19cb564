import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing
@testable import SluiceConsole

/// Every pane at the two sizes operators use most, compared as text. The styled variants mark
/// each run of a role (`«secret:…»`, `«error:…»`) so emphasis is part of the contract too.
@Suite struct ScreenSnapshotTests {
    static let sizes = [(80, 24), (160, 48)]

    func both(_ name: String, styled: Bool = false, _ make: () -> Dashboard) {
        for (cols, rows) in Self.sizes {
            var dashboard = make()
            let grid = Snapshot.render(&dashboard, cols: cols, rows: rows)
            Snapshot.check(styled ? grid.styledText : grid.text, "\(name)-\(cols)x\(rows)")
        }
    }

    @Test func live() { both("live") { Fixtures.dashboard(pane: .live) } }

    @Test func destinationListFocused() { both("list-focused", styled: true) { Fixtures.dashboard(pane: .live, selected: .zendesk, focus: .destinations) } }

    @Test func headroom() { both("headroom") { Fixtures.dashboard(pane: .headroom) } }

    @Test func headroomBeforeAnyTraffic() { both("headroom-empty") { Fixtures.dashboard(pane: .headroom, selected: .helpscout) } }

    @Test func settingsMaskSecrets() {
        both("settings-masked", styled: true) { Fixtures.dashboard(pane: .settings) }
    }

    @Test func settingsRevealShowsTheKeyOnlyAfterTheRevealKey() {
        both("settings-revealed", styled: true) {
            var dashboard = Fixtures.dashboard(pane: .settings)
            _ = dashboard.handle(.character("r"))
            return dashboard
        }
    }

    @Test func settingsShowTheCoresValidationWhileTyping() {
        both("settings-typing-invalid", styled: true) {
            var dashboard = Fixtures.dashboard(pane: .settings)
            // Down to "Default Nested Trait and Property Handling", then type a value the core rejects.
            let index = SettingsFile.fields(for: .intercom).firstIndex { $0.key == "defaultNestedHandling" }!
            for _ in 0..<index { _ = dashboard.handle(.down) }
            for key in [Key.enter, .control("u")] + Key.typed("squash") { _ = dashboard.handle(key) }
            return dashboard
        }
    }

    @Test func settingsRefuseToSaveAnInvalidDraft() {
        both("settings-save-refused", styled: true) {
            var dashboard = Fixtures.dashboard(pane: .settings, selected: .zendesk)
            let index = SettingsFile.fields(for: .zendesk).firstIndex { $0.key == "subdomain" }!
            for _ in 0..<index { _ = dashboard.handle(.down) }
            _ = dashboard.handle(.delete)
            _ = dashboard.handle(.character("s"))
            return dashboard
        }
    }

    @Test func inspector() { both("inspector") { Fixtures.dashboard(pane: .inspector) } }

    @Test func inspectorFiltered() {
        both("inspector-filtered") {
            var dashboard = Fixtures.dashboard(pane: .inspector)
            for key in [Key.character("/")] + Key.typed("status:4xx\n") { _ = dashboard.handle(key) }
            return dashboard
        }
    }

    @Test func inspectorDetail() {
        both("inspector-detail", styled: true) {
            var dashboard = Fixtures.dashboard(pane: .inspector)
            _ = dashboard.handle(.down)
            _ = dashboard.handle(.down)
            _ = dashboard.handle(.enter)
            return dashboard
        }
    }

    @Test func deadLettersWithAConfirmation() {
        both("deadletters-confirm") {
            var dashboard = Fixtures.dashboard(pane: .deadLetters)
            _ = dashboard.handle(.character(" "))
            _ = dashboard.handle(.character("x"))
            return dashboard
        }
    }

    @Test func events() { both("events") { Fixtures.dashboard(pane: .events) } }

    @Test func preview() async {
        var dashboard = Fixtures.dashboard(pane: .preview)
        let text = #"{"type":"identify","userId":"user-7","messageId":"m1","timestamp":"2026-11-22T10:00:00Z","traits":{"email":"ada@example.com","name":"Ada","plan":{"tier":"pro"}}}"#
        dashboard.preview.load(text)
        let event = try! Event(payload: try! JSONParser.parse(text).objectValue!)
        let results = await Preview.runAll(event, settings: Fixtures.settings, now: Date(millis: Fixtures.now))
        dashboard.apply(.preview(results, error: nil))
        for (cols, rows) in Self.sizes {
            var copy = dashboard
            Snapshot.check(Snapshot.render(&copy, cols: cols, rows: rows).text, "preview-\(cols)x\(rows)")
        }
    }

    @Test func helpOverlay() {
        both("help") {
            var dashboard = Fixtures.dashboard(pane: .live)
            _ = dashboard.handle(.character("?"))
            return dashboard
        }
    }

    @Test func commandLine() {
        both("command-line") {
            var dashboard = Fixtures.dashboard(pane: .live)
            for key in [Key.character(":")] + Key.typed("theme no") { _ = dashboard.handle(key) }
            return dashboard
        }
    }

    @Test func tooSmallSaysWhatItNeeds() {
        var dashboard = Fixtures.dashboard()
        Snapshot.check(Snapshot.render(&dashboard, cols: 79, rows: 24).text, "too-small-79x24")
        let grid = Snapshot.render(&dashboard, cols: 120, rows: 10)
        #expect(grid.text.contains("at least 80×24"))
        #expect(grid.text.contains("this one is 120×10"))
    }

    @Test func asciiWhenTheLocaleIsNotUTF8() {
        var dashboard = Fixtures.dashboard(pane: .live)
        let grid = Snapshot.render(&dashboard, cols: 80, rows: 24, unicode: false)
        Snapshot.check(grid.text, "live-ascii-80x24")
        #expect(grid.text.allSatisfy { $0.isASCII })
    }
}
