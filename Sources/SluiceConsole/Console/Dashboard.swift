import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

/// The whole console as a value: what is selected, what is being edited, the latest data.
/// Keys go in, commands for the runtime come out; `DashboardView` draws it. No I/O here.
public struct Dashboard: Sendable {
    public enum Focus: Sendable, Hashable { case destinations, pane }

    public struct Confirmation: Sendable, Equatable {
        public var question: String
        public var command: DashboardCommand
    }

    public enum Overlay: Sendable, Equatable {
        case help(scroll: Int)
        case confirm(Confirmation)
    }

    public struct StatusLine: Sendable, Equatable {
        public var text: String
        public var role: Role
        public var until: Millis
    }

    public var data = ConsoleData()
    public var selected: DestinationID = .helpscout
    public var pane: Pane = .live
    public var focus: Focus = .destinations
    public var overlay: Overlay?
    public var commandLine: LineEditor?
    public var status: StatusLine?
    /// Wall-clock time of the current frame (status lines expire against it).
    public var now: Millis = 0
    public var themeName: String
    public var refreshSeconds: Double
    public var databaseLabel: String
    public var forms: [DestinationID: SettingsForm] = [:]
    public var inspector = InspectorState()
    public var deadLetters = DeadLetterState()
    public var preview = PreviewState()
    public var events = EventsState()
    /// Rows available to the focused list, set by the view; used for paging.
    public var pageRows = 10
    /// The terminal's height at the last render.
    public var screenRows = 24
    /// Whether the terminal was below the minimum size at the last render (q then quits at once).
    public var tooSmall = false
    /// Set by the first successful read of the store; forms are built only from real settings.
    public private(set) var hasLoaded = false

    public init(themeName: String = "default", refreshSeconds: Double = 1, databaseLabel: String = "") {
        self.themeName = themeName
        self.refreshSeconds = refreshSeconds
        self.databaseLabel = databaseLabel
    }

    public var hasUnsavedSettings: Bool { forms.values.contains { $0.hasChanges } }

    // MARK: - Messages from the runtime

    public mutating func apply(_ message: DashboardMessage) {
        switch message {
        case .data(var data):
            if let error = data.loadError {
                // Keep showing what was last read; a blank screen would invite a wrong save.
                say(error, .error, seconds: 10)
                return
            }
            if data.destination != selected {
                // Read for the destination selected before; its per-destination parts do not belong here.
                data.attempts = []
                data.deadLetters = []
                data.skipReasons = [:]
                data.destination = selected
            }
            self.data = data
            hasLoaded = true
            for id in DestinationID.allCases { forms[id]?.storeChanged(data.settings, version: data.settingsVersion) }
            if !events.paused { events.shown = data.events }
            deadLetters.marked.formIntersection(data.deadLetters.map(\.id))
            if let problem = data.settingsProblem { say(problem, .error, seconds: 10) }
        case .status(let text, let role):
            say(text, role)
        case .saved(let id, let version, let submitted, let stored):
            forms[id]?.saved(version: version, submitted: submitted, stored: stored)
            say("Saved \(id.displayName) settings; the running engine applies them within a second.", .good)
        case .saveFailed(let id, let reason):
            say("Could not save \(id.displayName) settings: \(reason)", .error, seconds: 10)
        case .event(let event):
            if let event {
                // Only into the attempt that asked for it, if its detail is still open.
                if inspector.detail?.eventIds.contains(event.id) == true { inspector.detail?.showEvent(event) }
            } else {
                say("That event is no longer in the store.", .warn)
            }
        case .preview(let results, let error):
            preview.results = results
            preview.error = error
            preview.scroll = 0
        case .themeChanged(let name):
            themeName = name
        }
    }

    public mutating func say(_ text: String, _ role: Role = .text, seconds: Int64 = 5) {
        status = StatusLine(text: text, role: role, until: now + seconds * 1000)
    }

    public var visibleStatus: StatusLine? {
        guard let status, status.until > now else { return nil }
        return status
    }

    // MARK: - Keys

    /// Applies one key and returns what the runtime should do.
    public mutating func handle(_ key: Key) -> [DashboardCommand] {
        if key == .resize { return [] }
        if key == .control("c") { return [.quit] }
        // Nothing else is drawn on a too-small terminal, so no hidden prompt may swallow q.
        if tooSmall, key == .character("q") || key == .escape { return [.quit] }
        if let overlay { return handleOverlay(overlay, key) }
        if var line = commandLine {
            let result = line.handle(key)
            commandLine = line
            switch result {
            case .accepted:
                commandLine = nil
                return run(command: line.text)
            case .cancelled:
                commandLine = nil
            case .editing, .ignored:
                break
            }
            return []
        }
        if focus == .pane, paneIsCapturingText || (key == .character("q") && paneShowsDetail) {
            return handlePane(key)
        }
        switch key {
        case .character("q"):
            if hasUnsavedSettings {
                overlay = .confirm(Confirmation(question: "Quit and lose unsaved settings changes?", command: .quit))
                return []
            }
            return [.quit]
        case .character("?"), .function(1):
            overlay = .help(scroll: 0)
            return []
        case .character(":"):
            commandLine = LineEditor()
            return []
        case .tab:
            return show(pane: Pane(rawValue: pane.rawValue % Pane.allCases.count + 1)!)
        case .backTab:
            return show(pane: Pane(rawValue: (pane.rawValue + Pane.allCases.count - 2) % Pane.allCases.count + 1)!)
        case .character(let c) where c.isNumber:
            // Text being typed (an editor, the preview) was routed to its pane above.
            if let number = c.wholeNumberValue, let target = Pane(rawValue: number) { return show(pane: target) }
            return []
        default:
            break
        }
        if focus == .destinations {
            return handleDestinationList(key)
        }
        return handlePane(key)
    }

    /// In a detail view, q goes back to the list rather than quitting.
    private var paneShowsDetail: Bool {
        switch pane {
        case .inspector: return inspector.detail != nil
        case .deadLetters: return deadLetters.detail != nil
        case .events: return events.detail != nil
        default: return false
        }
    }

    private var paneIsCapturingText: Bool {
        switch pane {
        case .settings: return forms[selected]?.isEditing ?? false
        case .inspector: return inspector.filter.isEditing
        case .deadLetters: return deadLetters.filter.isEditing
        case .preview: return preview.editing
        default: return false
        }
    }

    private mutating func handleOverlay(_ overlay: Overlay, _ key: Key) -> [DashboardCommand] {
        switch overlay {
        case .help(let scroll):
            switch key {
            case .down, .character("j"): self.overlay = .help(scroll: min(scroll + 1, HelpOverlay.maxScroll(rows: screenRows)))
            case .up, .character("k"): self.overlay = .help(scroll: max(0, scroll - 1))
            default: self.overlay = nil
            }
            return []
        case .confirm(let confirmation):
            switch key {
            case .character("y"), .character("Y"):
                self.overlay = nil
                switch confirmation.command {
                case .replay, .discard: deadLetters.marked = []
                default: break
                }
                return [confirmation.command]
            case .character("n"), .character("N"), .escape, .character("q"):
                self.overlay = nil
                say("Cancelled.", .dim)
            default:
                break
            }
            return []
        }
    }

    private mutating func handleDestinationList(_ key: Key) -> [DashboardCommand] {
        let all = DestinationID.allCases
        let index = all.firstIndex(of: selected) ?? 0
        switch key {
        case .down, .character("j"):
            return select(all[min(all.count - 1, index + 1)])
        case .up, .character("k"):
            return select(all[max(0, index - 1)])
        case .enter, .right, .character("l"):
            focus = .pane
            return []
        default:
            return []
        }
    }

    public mutating func select(_ id: DestinationID) -> [DashboardCommand] {
        guard id != selected else { return [] }
        selected = id
        inspector = InspectorState()
        deadLetters = DeadLetterState()
        data.attempts = []
        data.deadLetters = []
        data.skipReasons = [:]
        data.destination = id
        return [.reload]
    }

    public mutating func show(pane target: Pane) -> [DashboardCommand] {
        pane = target
        focus = .pane
        if target == .settings, forms[selected] == nil, hasLoaded {
            forms[selected] = SettingsForm(destination: selected, file: data.settings, version: data.settingsVersion)
        }
        return []
    }

    private mutating func handlePane(_ key: Key) -> [DashboardCommand] {
        let outcome: PaneOutcome
        switch pane {
        case .live, .headroom: outcome = .ignored
        case .settings: outcome = handleSettings(key)
        case .inspector: outcome = inspector.handle(key, records: data.attempts, deadLetters: data.deadLetters, destination: selected, page: pageRows)
        case .deadLetters: outcome = deadLetters.handle(key, jobs: data.deadLetters, destination: selected, page: pageRows)
        case .preview: outcome = preview.handle(key, events: data.events, page: pageRows)
        case .events: outcome = events.handle(key, page: pageRows)
        }
        switch outcome {
        case .ignored: break
        case .handled: return []
        case .commands(let commands): return commands
        case .confirm(let question, let command):
            overlay = .confirm(Confirmation(question: question, command: command))
            return []
        case .say(let text, let role):
            say(text, role)
            return []
        case .previewEvent(let text):
            preview.load(text)
            pane = .preview
            return [.preview(eventText: text)]
        }
        switch key {
        case .escape, .left, .character("h"):
            focus = .destinations
        case .character("R"), .control("r"):
            return [.reload]
        default:
            break
        }
        return []
    }

    private mutating func handleSettings(_ key: Key) -> PaneOutcome {
        guard hasLoaded else { return .handled }
        var form = forms[selected] ?? SettingsForm(destination: selected, file: data.settings, version: data.settingsVersion)
        let outcome = form.handle(key, page: pageRows)
        forms[selected] = form
        switch outcome {
        case .handled: return .handled
        case .ignored: return .ignored
        case .invalid(let message):
            say(message, .error, seconds: 8)
            return .handled
        case .save(let draft, let changed):
            return .commands([.saveSettings(selected, draft: draft, changed: changed)])
        case .discard:
            form.discard(file: data.settings, version: data.settingsVersion)
            forms[selected] = form
            say("Discarded unsaved \(selected.displayName) changes.", .dim)
            return .handled
        }
    }

    // MARK: - The `:` command line

    public mutating func run(command text: String) -> [DashboardCommand] {
        let words = text.split(separator: " ").map(String.init)
        guard let verb = words.first?.lowercased() else { return [] }
        let argument = words.dropFirst().joined(separator: " ")
        switch verb {
        case "q", "quit", "exit":
            return [.quit]
        case "dest", "destination", "d":
            guard let id = DestinationID(name: argument) else {
                say("Unknown destination \"\(argument)\"; use one of \(DestinationID.allCases.map(\.rawValue).joined(separator: ", ")).", .error)
                return []
            }
            var commands = select(id)
            commands += show(pane: pane)
            return commands
        case "theme":
            guard !argument.isEmpty else {
                say("Usage: :theme NAME (e.g. :theme mono); the current theme is \(themeName).", .warn)
                return []
            }
            return [.setTheme(argument)]
        case "refresh":
            guard let seconds = Double(argument), seconds >= 0.2, seconds <= 60 else {
                say("Usage: :refresh SECONDS, between 0.2 and 60.", .warn)
                return []
            }
            refreshSeconds = seconds
            return [.setRefresh(seconds)]
        case "crash" where ProcessInfo.processInfo.environment["SLUICE_DASH_TEST_CRASH"] == "1":
            // Lets the end-to-end tests prove the terminal is restored when a screen traps.
            fatalError("crash requested with :crash (SLUICE_DASH_TEST_CRASH=1)")
        case "help", "h":
            overlay = .help(scroll: 0)
            return []
        case "pane":
            guard let target = Pane(commandName: argument) else {
                say("Unknown pane \"\(argument)\"; use one of \(Pane.allCases.map(\.commandName).joined(separator: ", ")).", .error)
                return []
            }
            return show(pane: target)
        default:
            if let target = Pane(commandName: text) { return show(pane: target) }
            if let id = DestinationID(name: text) { return select(id) + show(pane: pane) }
            say("Unknown command \":\(text)\"; press ? for the list.", .error)
            return []
        }
    }
}
