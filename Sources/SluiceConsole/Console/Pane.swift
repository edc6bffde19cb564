import SluiceDestinations
import SluiceSpec
import SluiceStore

/// The panes on the right, in tab order; the raw value is the number key that opens it.
public enum Pane: Int, CaseIterable, Sendable {
    case live = 1, settings, headroom, inspector, deadLetters, preview, events

    public var title: String {
        switch self {
        case .live: return "Live"
        case .settings: return "Settings"
        case .headroom: return "Headroom"
        case .inspector: return "Inspector"
        case .deadLetters: return "Dead letters"
        case .preview: return "Preview"
        case .events: return "Events"
        }
    }

    /// For terminals too narrow for every full title.
    public var shortTitle: String {
        switch self {
        case .inspector: return "Inspect"
        case .deadLetters: return "Dead"
        case .headroom: return "Limits"
        default: return title
        }
    }

    /// The name `:pane NAME` (or just `:NAME`) accepts.
    public var commandName: String {
        switch self {
        case .deadLetters: return "deadletters"
        default: return title.lowercased()
        }
    }

    public init?(commandName: String) {
        let folded = commandName.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "-", with: "")
        guard let pane = Pane.allCases.first(where: { $0.commandName == folded || ($0 == .deadLetters && folded == "dead") }) else { return nil }
        self = pane
    }

    /// Panes about the selected destination; the event tail and preview are global.
    public var isPerDestination: Bool { self != .events && self != .preview }
}

/// Side effects the dashboard asks its runtime for; the dashboard itself never does I/O.
public enum DashboardCommand: Sendable, Equatable {
    case quit
    case reload
    case saveSettings(DestinationID, draft: JSONObject, changed: [String])
    case replay(DeadLetterFilter)
    case discard(DeadLetterFilter)
    case loadEvent(id: Int64)
    case preview(eventText: String)
    case setTheme(String)
    case setRefresh(Double)
}

/// What the runtime reports back.
public enum DashboardMessage: Sendable {
    case data(ConsoleData)
    case status(String, Role)
    case saved(DestinationID, version: Int64, submitted: JSONObject, stored: JSONObject)
    case saveFailed(DestinationID, String)
    case event(StoredEventView?)
    case preview([PreviewResult], error: String?)
    case themeChanged(String)
}

/// An event as the console shows it: its store id and payload text.
public struct StoredEventView: Sendable, Hashable {
    public var id: Int64
    public var text: String
    public init(id: Int64, text: String) {
        self.id = id
        self.text = text
    }
}
