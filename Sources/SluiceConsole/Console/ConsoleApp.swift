import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

public struct ConsoleOptions: Sendable {
    public var store: any ConsoleLoader.Store
    public var databaseLabel: String
    /// A theme name or path; nil uses the saved preference, else `default`.
    public var theme: String?
    public var themeSearchPaths: [String]
    public var colour: Bool
    public var refreshSeconds: Double?
    public var preferences: ConsolePreferences

    public init(store: any ConsoleLoader.Store, databaseLabel: String, theme: String?, themeSearchPaths: [String], colour: Bool,
                refreshSeconds: Double?, preferences: ConsolePreferences) {
        self.store = store
        self.databaseLabel = databaseLabel
        self.theme = theme
        self.themeSearchPaths = themeSearchPaths
        self.colour = colour
        self.refreshSeconds = refreshSeconds
        self.preferences = preferences
    }
}

/// The console's runtime. A dedicated thread owns the terminal: it draws frames and reads keys
/// without ever waiting on the store. A task loads data every refresh and carries out the
/// dashboard's commands; both sides talk through a mailbox.
public enum ConsoleApp {
    /// Call first thing in `main`, before any thread exists, so resize signals reach only the
    /// console's thread.
    public static func prepareProcess() {
        ConsoleSignals.blockResizeSignal()
    }

    /// Runs the dashboard until the operator quits or a signal ends it; the terminal is
    /// restored before this returns or throws. Returns the signal that ended it, if one did.
    @discardableResult
    public static func run(_ options: ConsoleOptions) async throws -> Int32? {
        let mailbox = Mailbox()
        let saved = options.preferences.load()
        let refresh = options.refreshSeconds ?? saved.refreshSeconds ?? 1
        mailbox.refreshSeconds.withLock { $0 = refresh }
        let themeName = options.theme ?? saved.theme ?? "default"
        let (theme, themeWarning) = Theme.load(named: themeName, searchPaths: options.themeSearchPaths)
        if let themeWarning { mailbox.post(.status(themeWarning, .warn)) }

        let worker = Task {
            let loader = ConsoleLoader(store: options.store)
            var lastLoad = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                for command in mailbox.takeCommands() {
                    await perform(command, options: options, mailbox: mailbox)
                }
                let interval = mailbox.refreshSeconds.withLock { $0 }
                if mailbox.takeReloadRequest() || ContinuousClock.now - lastLoad >= .seconds(interval) {
                    lastLoad = ContinuousClock.now
                    mailbox.post(.data(await loader.load(selected: mailbox.selected.withLock { $0 })))
                }
                try? await Task.sleep(for: .milliseconds(40))
            }
        }
        let result: Result<Void, Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: Result {
                    try uiLoop(options: options, theme: theme, themeName: theme.name, refresh: refresh, mailbox: mailbox)
                })
            }
            thread.name = "sluice-console"
            thread.stackSize = 8 << 20
            thread.start()
        }
        // Let a command confirmed just before quitting (a save, a replay) finish.
        worker.cancel()
        await worker.value
        for command in mailbox.takeCommands() { await perform(command, options: options, mailbox: mailbox) }
        try result.get()
        let signo = ConsoleSignals.received.load(ordering: .relaxed)
        return signo == 0 ? nil : signo
    }

    private static func uiLoop(options: ConsoleOptions, theme: Theme, themeName: String, refresh: Double, mailbox: Mailbox) throws {
        ConsoleSignals.unblockResizeSignal()
        ConsoleSignals.installExitHandlers()
        ConsoleSignals.installCrashRestore()
        defer {
            ConsoleSignals.disarmCrashRestore()
            ConsoleSignals.removeExitHandlers()
        }
        let terminal = try CursesTerminal(theme: theme, colour: options.colour && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true)
        defer { terminal.close() }

        var dashboard = Dashboard(themeName: themeName, refreshSeconds: refresh, databaseLabel: options.databaseLabel)
        var dirty = true
        var statusShown = false
        while ConsoleSignals.received.load(ordering: .relaxed) == 0 {
            for message in mailbox.takeMessages() {
                dashboard.apply(message)
                dirty = true
            }
            dashboard.now = Date().millis
            if (dashboard.visibleStatus != nil) != statusShown { dirty = true }
            if dirty {
                let grid = Grid(size: terminal.size, unicode: terminal.unicode)
                DashboardView.render(&dashboard, into: grid)
                terminal.present(grid)
                statusShown = dashboard.visibleStatus != nil
                mailbox.selected.withLock { $0 = dashboard.selected }
                dirty = false
            }
            // Wait briefly for a key, then take every key already typed (a paste) before drawing.
            var key = terminal.readKey(timeoutMs: 100)
            var handled = 0
            while let pressed = key {
                let before = dashboard.selected
                for command in dashboard.handle(pressed) {
                    switch command {
                    case .quit:
                        return
                    case .setTheme(let name):
                        let (loaded, warning) = Theme.load(named: name, searchPaths: options.themeSearchPaths)
                        if let warning {
                            dashboard.say(warning, .error, seconds: 10)
                        } else {
                            terminal.applyTheme(loaded)
                            dashboard.themeName = loaded.name
                            dashboard.say("Theme \(loaded.name) (saved as your default).", .dim)
                            options.preferences.save(theme: name, refreshSeconds: nil)
                        }
                    case .setRefresh(let seconds):
                        mailbox.refreshSeconds.withLock { $0 = seconds }
                        options.preferences.save(theme: nil, refreshSeconds: seconds)
                        dashboard.say("Refreshing every \(seconds) s.", .dim)
                    default:
                        mailbox.submit(command)
                    }
                }
                if dashboard.selected != before {
                    mailbox.selected.withLock { $0 = dashboard.selected }
                    mailbox.requestReload()
                }
                dirty = true
                handled += 1
                key = handled < 512 ? terminal.readKey(timeoutMs: 0) : nil
            }
        }
    }

    /// Carries out one command against the store and reports the result to the dashboard.
    static func perform(_ command: DashboardCommand, options: ConsoleOptions, mailbox: Mailbox) async {
        let store = options.store
        switch command {
        case .reload:
            mailbox.requestReload()
        case .saveSettings(let id, let draft, let changed):
            do {
                // Only the fields the operator changed go over what is stored now, so a change
                // saved elsewhere meanwhile to another field is kept, not reverted.
                var (file, _) = try await StoredSettings.load(store)
                var object = file.settingsOrDefaults(for: id)?.json(revealSecrets: true) ?? [:]
                for path in changed { SettingsForm.setValue(SettingsForm.value(at: path, in: draft), at: path, in: &object) }
                try file.update(id, json: object)
                try await StoredSettings.save(file, id: id, store: store, changed: changed, origin: "console")
                let stored = file.settings(for: id)?.json(revealSecrets: true) ?? object
                mailbox.post(.saved(id, version: try await store.settingsVersion(), submitted: draft, stored: stored))
            } catch let error as SettingsError {
                mailbox.post(.saveFailed(id, error.description))
            } catch {
                mailbox.post(.saveFailed(id, "\(error)"))
            }
            mailbox.requestReload()
        case .replay(let filter):
            do {
                let jobs = try await store.replayDeadLetters(filter, now: Date().millis)
                mailbox.post(.status("Replayed \(jobs.count) dead letter\(jobs.count == 1 ? "" : "s"); the engine delivers them in order.", .good))
            } catch {
                mailbox.post(.status("Replay failed: \(error)", .error))
            }
            mailbox.requestReload()
        case .discard(let filter):
            do {
                let count = try await store.discardDeadLetters(filter)
                mailbox.post(.status("Discarded \(count) dead letter\(count == 1 ? "" : "s").", .good))
            } catch {
                mailbox.post(.status("Discard failed: \(error)", .error))
            }
            mailbox.requestReload()
        case .loadEvent(let id):
            let stored = try? await store.event(id: id)
            mailbox.post(.event(stored.map { StoredEventView(id: $0.id, text: $0.payloadText) }))
        case .preview(let text):
            mailbox.post(await runPreview(text, store: store))
        case .quit, .setTheme, .setRefresh:
            break
        }
    }

    static func runPreview(_ text: String, store: any ConsoleLoader.Store) async -> DashboardMessage {
        let event: Event
        do {
            let json = try JSONParser.parse(text)
            guard case .object(let object) = json else { return .preview([], error: "The event must be a JSON object, not \(json.typeName).") }
            event = try Event(payload: object)
        } catch {
            return .preview([], error: "Not a valid event: \(error)")
        }
        let file = (try? await StoredSettings.load(store).0) ?? SettingsFile()
        return .preview(await Preview.runAll(event, settings: file), error: nil)
    }
}

/// The hand-over point between the UI thread and the data task.
final class Mailbox: Sendable {
    private let messages = Mutex<[DashboardMessage]>([])
    private let commands = Mutex<[DashboardCommand]>([])
    private let reload = Mutex(false)
    let selected = Mutex<DestinationID>(.helpscout)
    let refreshSeconds = Mutex<Double>(1)

    func post(_ message: DashboardMessage) { messages.withLock { $0.append(message) } }
    func takeMessages() -> [DashboardMessage] { messages.withLock { let taken = $0; $0 = []; return taken } }
    func submit(_ command: DashboardCommand) { commands.withLock { $0.append(command) } }
    func takeCommands() -> [DashboardCommand] { commands.withLock { let taken = $0; $0 = []; return taken } }
    func requestReload() { reload.withLock { $0 = true } }
    func takeReloadRequest() -> Bool { reload.withLock { let value = $0; $0 = false; return value } }
}

/// The operator's console preferences (theme, refresh), kept in a small `key = value` file so
/// `:theme` survives a restart.
public struct ConsolePreferences: Sendable {
    public let path: String?

    public init(path: String?) { self.path = path }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ConsolePreferences {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.config")
        return ConsolePreferences(path: base + "/sluice/dash.conf")
    }

    public struct Values: Sendable, Equatable {
        public var theme: String?
        public var refreshSeconds: Double?
    }

    public func load() -> Values {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return Values() }
        var values = Values()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "theme": values.theme = parts[1]
            case "refresh": values.refreshSeconds = Double(parts[1]).flatMap { (0.2...60).contains($0) ? $0 : nil }
            default: continue
            }
        }
        return values
    }

    public func save(theme: String?, refreshSeconds: Double?) {
        guard let path else { return }
        var values = load()
        if let theme { values.theme = theme }
        if let refreshSeconds { values.refreshSeconds = refreshSeconds }
        var text = "# sluice dash preferences, written by :theme and :refresh\n"
        if let theme = values.theme { text += "theme = \(theme)\n" }
        if let refresh = values.refreshSeconds { text += "refresh = \(refresh)\n" }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
