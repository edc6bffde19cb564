import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing
@testable import SluiceConsole

@Suite struct DashboardKeyTests {
    @Test func tabShiftTabAndDigitsMoveBetweenPanes() {
        var dashboard = Fixtures.dashboard(pane: .live)
        _ = dashboard.handle(.tab)
        #expect(dashboard.pane == .settings)
        _ = dashboard.handle(.backTab)
        _ = dashboard.handle(.backTab)
        #expect(dashboard.pane == .events)
        _ = dashboard.handle(.character("5"))
        #expect(dashboard.pane == .deadLetters)
        #expect(dashboard.focus == .pane)
    }

    @Test func theListMovesWithJKAndArrowsAndReloads() {
        var dashboard = Fixtures.dashboard(pane: .live, selected: .helpscout, focus: .destinations)
        #expect(dashboard.handle(.character("j")) == [.reload])
        #expect(dashboard.handle(.down) == [.reload])
        #expect(dashboard.selected == .clientsuccess)
        #expect(dashboard.handle(.up) == [.reload])
        #expect(dashboard.selected == .zendesk)
        _ = dashboard.handle(.enter)
        #expect(dashboard.focus == .pane)
        _ = dashboard.handle(.escape)
        #expect(dashboard.focus == .destinations)
    }

    @Test func commandLineSelectsDestinationsThemesAndQuits() {
        var dashboard = Fixtures.dashboard(pane: .settings, selected: .helpscout)
        #expect(dashboard.run(command: "dest intercom") == [.reload])
        #expect(dashboard.selected == .intercom)
        #expect(dashboard.pane == .settings)
        #expect(dashboard.run(command: "theme mono") == [.setTheme("mono")])
        #expect(dashboard.run(command: "q") == [.quit])
        #expect(dashboard.run(command: "refresh 2") == [.setRefresh(2)])
        #expect(dashboard.run(command: "inspector") == [])
        #expect(dashboard.pane == .inspector)
        _ = dashboard.run(command: "dest nowhere")
        #expect(dashboard.status?.text.contains("Unknown destination \"nowhere\"") == true)
        _ = dashboard.run(command: "frobnicate")
        #expect(dashboard.status?.role == .error)
    }

    @Test func colonOpensTheLineAndEnterRunsIt() {
        var dashboard = Fixtures.dashboard()
        var commands: [DashboardCommand] = []
        for key in [Key.character(":")] + Key.typed("q\n") { commands += dashboard.handle(key) }
        #expect(commands == [.quit])
    }

    @Test func quitAsksFirstWhenSettingsAreUnsaved() {
        var dashboard = Fixtures.dashboard(pane: .settings)
        _ = dashboard.handle(.character(" "))  // not a toggle on the first field: ignored
        let index = SettingsFile.fields(for: .intercom).firstIndex { $0.key == "collectContext" }!
        for _ in 0..<index { _ = dashboard.handle(.down) }
        _ = dashboard.handle(.character(" "))
        #expect(dashboard.hasUnsavedSettings)
        _ = dashboard.handle(.escape)
        #expect(dashboard.handle(.character("q")) == [])
        guard case .confirm = dashboard.overlay else { Issue.record("no confirmation"); return }
        #expect(dashboard.handle(.character("n")) == [])
        #expect(dashboard.overlay == nil)
        _ = dashboard.handle(.character("q"))
        #expect(dashboard.handle(.character("y")) == [.quit])
    }

    @Test func ctrlCQuitsFromAnywhereEvenWhileEditing() {
        var dashboard = Fixtures.dashboard(pane: .settings)
        _ = dashboard.handle(.enter)
        #expect(dashboard.forms[.intercom]?.isEditing == true)
        #expect(dashboard.handle(.control("c")) == [.quit])
    }

    @Test func helpOverlayClosesOnAnyOtherKey() {
        var dashboard = Fixtures.dashboard()
        _ = dashboard.handle(.character("?"))
        #expect(dashboard.overlay == .help(scroll: 0))
        _ = dashboard.handle(.character("j"))
        #expect(dashboard.overlay == .help(scroll: 1))
        _ = dashboard.handle(.character("x"))
        #expect(dashboard.overlay == nil)
    }

    @Test func everyBindingInTheHelpIsAKeyTheDashboardAnswers() {
        // The help is generated from KeyBindings; spot-check that its headline keys do something.
        var dashboard = Fixtures.dashboard()
        for key in [Key.character("?"), .escape, .character(":"), .escape, .tab, .backTab, .character("3")] { _ = dashboard.handle(key) }
        #expect(dashboard.pane == .headroom)
        #expect(KeyBindings.sections.flatMap(\.bindings).count >= 25)
    }
}

@Suite struct SettingsFormTests {
    var form = SettingsForm(destination: .intercom, file: Fixtures.settings, version: 7)

    func index(_ key: String) -> Int { SettingsFile.fields(for: .intercom).firstIndex { $0.key == key }! }

    @Test mutating func editingAndSavingProducesTheDraftAndTheChangedField() {
        form.selection.index = index("defaultNestedHandling")
        for key in [Key.enter, .control("u")] + Key.typed("stringify\n") { _ = form.handle(key, page: 10) }
        #expect(form.changedFields == ["defaultNestedHandling"])
        guard case .save(let draft, let changed) = form.handle(.character("s"), page: 10) else { Issue.record("did not save"); return }
        #expect(changed == ["defaultNestedHandling"])
        #expect(draft["defaultNestedHandling"] == .string("stringify"))
        #expect(draft["apiKey"] == .string(Fixtures.intercomKey), "the real secret is kept in the draft, only its display is masked")
    }

    @Test mutating func inlineValidationComesFromTheCore() {
        form.selection.index = index("defaultNestedHandling")
        for key in [Key.enter, .control("u")] + Key.typed("squash") { _ = form.handle(key, page: 10) }
        let field = form.selectedField!
        let issues = form.inlineIssues(field)
        #expect(issues == SettingsFile.validate(.intercom, field: "defaultNestedHandling", value: .string("squash")))
        #expect(!issues.isEmpty)
    }

    @Test mutating func anEmptySecretEditKeepsTheCurrentSecret() {
        form.selection.index = index("apiKey")
        _ = form.handle(.enter, page: 10)
        #expect(form.editor?.text == "", "a secret is never put in the editor")
        _ = form.handle(.enter, page: 10)
        #expect(!form.hasChanges)
        #expect(form.displayValue(form.selectedField!) == Secret(Fixtures.intercomKey).masked)
    }

    @Test mutating func revealIsExplicit() {
        form.selection.index = index("apiKey")
        #expect(!form.displayValue(form.selectedField!).contains(Fixtures.intercomKey))
        _ = form.handle(.character("r"), page: 10)
        #expect(form.displayValue(form.selectedField!) == Fixtures.intercomKey)
    }

    @Test mutating func anInvalidDraftIsNotSavedAndSaysWhy() {
        form.selection.index = index("apiKey")
        _ = form.handle(.delete, page: 10)
        guard case .invalid(let message) = form.save() else { Issue.record("saved an enabled Intercom without a key"); return }
        #expect(message.contains("apiKey"))
        #expect(!form.saveIssues.isEmpty)
    }

    @Test mutating func nothingChangedIsNotSaved() {
        guard case .invalid(let message) = form.save() else { Issue.record("saved nothing"); return }
        #expect(message.contains("nothing changed"))
    }

    @Test mutating func aChoiceCyclesWithSpaceAndABoolToggles() {
        form.selection.index = index("defaultNestedHandling")
        _ = form.handle(.character(" "), page: 10)
        #expect(form.changedFields == ["defaultNestedHandling"])
        form.selection.index = index("collectContext")
        _ = form.handle(.character(" "), page: 10)
        #expect(SettingsForm.value(at: "collectContext", in: form.draft) == .bool(true))
    }

    @Test mutating func storedChangesAreAdoptedUnlessADraftIsOpen() {
        var changed = Fixtures.settings
        var object = changed.intercom!.json(revealSecrets: true)
        object["appId"] = "zzz99999"
        try! changed.update(.intercom, json: object)
        form.storeChanged(changed, version: 8)
        #expect(form.baseVersion == 8)
        #expect(form.draft["appId"] == .string("zzz99999"))

        form.selection.index = index("collectContext")
        _ = form.handle(.character(" "), page: 10)
        form.storeChanged(Fixtures.settings, version: 9)
        #expect(form.conflictVersion == 9)
        #expect(form.baseVersion == 8)
    }

    @Test func dottedRateLimitFieldsReadAndWriteTheNestedObject() {
        var object: JSONObject = [:]
        SettingsForm.setValue(.int(100), at: "rateLimits.per10s", in: &object)
        #expect(object["rateLimits"] == .object(["per10s": .int(100)]))
        #expect(SettingsForm.value(at: "rateLimits.per10s", in: object) == .int(100))
        SettingsForm.setValue(nil, at: "rateLimits.per10s", in: &object)
        #expect(object["rateLimits"] == nil)
    }
}

@Suite struct InspectorAndDeadLetterTests {
    @Test func filterWordsMatchFieldsOrAnyText() {
        let records = Fixtures.data.attempts
        func ids(_ text: String) -> [Int64] { records.filter(RecordFilter(text).matches).map(\.id) }
        #expect(ids("status:4xx") == [30, 29])
        #expect(ids("status:429") == [30])
        #expect(ids("type:track user:9") == [29])
        #expect(ids("id:msg-31") == [31])
        #expect(ids("GROUP") == [28])
        #expect(ids("contacts") == [31, 30, 29, 28])
    }

    @Test func replayFromTheInspectorTargetsTheAttemptsDeadLetter() {
        var dashboard = Fixtures.dashboard(pane: .inspector)
        dashboard.data.deadLetters.append(Fixtures.deadLetter(700, status: 422, error: "bad"))
        dashboard.data.deadLetters[dashboard.data.deadLetters.count - 1].eventId = 29
        _ = dashboard.handle(.down)
        _ = dashboard.handle(.down)
        _ = dashboard.handle(.character("r"))
        guard case .confirm(let confirmation) = dashboard.overlay else { Issue.record("no confirmation"); return }
        #expect(confirmation.command == .replay(DeadLetterFilter(destination: "intercom", ids: [700])))
        #expect(dashboard.handle(.character("y")) == [.replay(DeadLetterFilter(destination: "intercom", ids: [700]))])
    }

    @Test func aDeliveredAttemptIsNotReplayed() {
        var dashboard = Fixtures.dashboard(pane: .inspector)
        _ = dashboard.handle(.character("r"))
        #expect(dashboard.overlay == nil)
        #expect(dashboard.status?.text.contains("only dead letters are replayed") == true)
    }

    @Test func detailJumpsToTheEvent() {
        var dashboard = Fixtures.dashboard(pane: .inspector)
        _ = dashboard.handle(.enter)
        #expect(dashboard.handle(.character("e")) == [.loadEvent(id: 31)])
        dashboard.apply(.event(StoredEventView(id: 31, text: #"{"type":"identify"}"#)))
        #expect(dashboard.inspector.detail?.title == "Event 31")
    }

    @Test func deadLettersMarkReplayDiscardAndAll() {
        var dashboard = Fixtures.dashboard(pane: .deadLetters)
        _ = dashboard.handle(.character(" "))
        _ = dashboard.handle(.character(" "))
        #expect(dashboard.deadLetters.marked == [501, 502])
        _ = dashboard.handle(.character("r"))
        #expect(dashboard.handle(.character("y")) == [.replay(DeadLetterFilter(destination: "intercom", ids: [501, 502]))])
        _ = dashboard.handle(.character("X"))
        #expect(dashboard.handle(.character("y")) == [.discard(DeadLetterFilter(destination: "intercom", limit: 1_000_000))])
        for key in [Key.character("/")] + Key.typed("404\n") { _ = dashboard.handle(key) }
        _ = dashboard.handle(.character("R"))
        #expect(dashboard.handle(.character("y")) == [.replay(DeadLetterFilter(destination: "intercom", ids: [502]))])
    }

    @Test func eventsPreviewTheSelectedEvent() {
        var dashboard = Fixtures.dashboard(pane: .events)
        _ = dashboard.handle(.down)
        let commands = dashboard.handle(.character("p"))
        #expect(dashboard.pane == .preview)
        guard case .preview(let text) = commands.first else { Issue.record("no preview"); return }
        #expect(text.contains("\"identify\""))
        #expect(dashboard.preview.text.contains("\n"), "the picked event is pretty-printed for editing")
    }

    @Test func pastedJSONIsTypedIntoThePreviewAndEscRunsIt() {
        var dashboard = Fixtures.dashboard(pane: .preview)
        _ = dashboard.handle(.character("e"))
        var commands: [DashboardCommand] = []
        for key in Key.typed("{\"type\":\"track\",\n\"userId\":\"7\",\"event\":\"X\"}") + [.escape] { commands += dashboard.handle(key) }
        #expect(commands == [.preview(eventText: "{\"type\":\"track\",\n\"userId\":\"7\",\"event\":\"X\"}")])
        #expect(dashboard.pane == .preview, "digits and q typed into the editor are text, not keys")
    }
}

@Suite struct HealthTests {
    @Test func healthFollowsRecentOutcomesAndLimits() {
        let data = Fixtures.data
        #expect(Health.assess(.intercom, in: data) == .delivering)
        #expect(Health.assess(.zendesk, in: data) == .failing)
        #expect(Health.assess(.clientsuccess, in: data) == .disabled)
        #expect(Health.assess(.helpscout, in: data) == .idle)
        var limited = data
        limited.rateLimits[.intercom]![0].remaining = 0
        #expect(Health.assess(.intercom, in: limited) == .rateLimited)
        var unconfigured = data
        unconfigured.settings.remove(.helpscout)
        #expect(Health.assess(.helpscout, in: unconfigured) == .unconfigured)
    }
}

@Suite struct ReviewRegressionTests {
    @Test func combiningMarksAndFlagsTypedKeyByKeyNeverMoveTheCursorPastTheText() {
        var editor = LineEditor()
        for scalar in "e\u{301}🇩🇪x".unicodeScalars { _ = editor.handle(.character(Character(scalar))) }
        #expect(editor.text == "e\u{301}🇩🇪x")
        #expect(editor.cursor == editor.text.count)
        _ = editor.handle(.backspace)
        _ = editor.handle(.backspace)
        #expect(editor.text == "e\u{301}")
    }

    @Test mutating func aDraftIsNotSavedOverSettingsChangedElsewhere() {
        var form = SettingsForm(destination: .intercom, file: Fixtures.settings, version: 7)
        form.selection.index = SettingsFile.fields(for: .intercom).firstIndex { $0.key == "collectContext" }!
        _ = form.handle(.character(" "), page: 10)
        form.storeChanged(Fixtures.settings, version: 8)
        guard case .invalid(let message) = form.save() else { Issue.record("saved over a newer version"); return }
        #expect(message.contains("saved elsewhere"))
    }

    @Test func savingMergesOnlyTheChangedFieldsAndKeepsLaterEdits() {
        var form = SettingsForm(destination: .intercom, file: Fixtures.settings, version: 7)
        let submitted = form.draft
        var stored = submitted
        stored["appId"] = "other123"  // changed by someone else meanwhile
        form.saved(version: 8, submitted: submitted, stored: stored)
        #expect(form.draft["appId"] == .string("other123"))
        #expect(!form.hasChanges)
    }

    @Test func qClosesADetailInsteadOfQuitting() {
        var dashboard = Fixtures.dashboard(pane: .inspector)
        _ = dashboard.handle(.enter)
        #expect(dashboard.handle(.character("q")) == [])
        #expect(dashboard.inspector.detail == nil)
        #expect(dashboard.handle(.character("q")) == [.quit])
    }

    @Test func qQuitsAtOnceOnATooSmallTerminalEvenWithAPrompt() {
        var dashboard = Fixtures.dashboard(pane: .settings)
        _ = dashboard.handle(.enter)  // an editor is open
        _ = Snapshot.render(&dashboard, cols: 60, rows: 20)
        #expect(dashboard.handle(.character("q")) == [.quit])
    }

    @Test func aFailedReadKeepsWhatWasShown() {
        var dashboard = Fixtures.dashboard(pane: .live)
        var failed = ConsoleData()
        failed.loadError = "reading the store failed: disk I/O error"
        dashboard.apply(.data(failed))
        #expect(dashboard.data.settings.intercom != nil)
        #expect(dashboard.status?.text.contains("disk I/O error") == true)
    }

    @Test func formsWaitForTheFirstRead() {
        var dashboard = Dashboard()
        _ = dashboard.show(pane: .settings)
        #expect(dashboard.forms.isEmpty)
        _ = dashboard.handle(.enter)
        #expect(dashboard.forms.isEmpty, "no form is built from empty settings")
        let grid = Snapshot.render(&dashboard, cols: 100, rows: 30)
        #expect(grid.text.contains("Reading the settings from the store"))
    }

    @Test func anotherDestinationsListIsNeverShownUnderThisOne() {
        var dashboard = Fixtures.dashboard(pane: .deadLetters, selected: .intercom)
        _ = dashboard.select(.zendesk)
        #expect(dashboard.data.deadLetters.isEmpty)
        var late = Fixtures.data
        late.destination = .intercom  // a read for the previous selection, arriving late
        dashboard.apply(.data(late))
        #expect(dashboard.data.deadLetters.isEmpty)
        #expect(dashboard.data.attempts.isEmpty)
    }

    @Test func marksAreClearedOnceActedOn() {
        var dashboard = Fixtures.dashboard(pane: .deadLetters)
        _ = dashboard.handle(.character(" "))
        _ = dashboard.handle(.character("r"))
        _ = dashboard.handle(.character("y"))
        #expect(dashboard.deadLetters.marked.isEmpty)
    }

    @Test func credentialsAnAPIReturnsAreMaskedWhereverTheyAreShown() {
        let body = #"{"token_type":"bearer","access_token":"live-token-1234567890abcd","expires_in":7200}"#
        let masked = CredentialMasking.maskBody(body)
        #expect(!masked.contains("live-token"))
        #expect(masked.contains("••••abcd"))
        #expect(CredentialMasking.maskBody(#"{"id":1}"#) == #"{"id":1}"#)
        let lines = JSONLines.render(body)
        #expect(!lines.map(\.plain).joined().contains("live-token"))
        #expect(lines.contains { $0.spans.contains { $0.role == .secret } })
        #expect(CredentialMasking.maskHeaders([("Set-Cookie", "session=abcdefghijklmnop")]).first?.1 == "••••mnop")
    }
}
