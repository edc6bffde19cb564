/// Every key the console answers, in one table: the help overlay is drawn from it and the
/// footer hints name the same keys.
public enum KeyBindings {
    public struct Binding: Sendable {
        public let keys: String
        public let action: String
    }

    public struct Section: Sendable {
        public let title: String
        public let bindings: [Binding]
    }

    static func b(_ keys: String, _ action: String) -> Binding { Binding(keys: keys, action: action) }

    public static let sections: [Section] = [
        Section(title: "Everywhere", bindings: [
            b("?  F1", "this help"),
            b(":", "command line (:dest intercom, :theme mono, :refresh 2, :q)"),
            b("Tab  Shift-Tab", "next / previous pane"),
            b("1–7", "Live, Settings, Headroom, Inspector, Dead letters, Preview, Events"),
            b("h  ←  Esc", "back to the destination list"),
            b("l  →  Enter", "open the selected destination's pane"),
            b("j k  ↑ ↓", "move; PgUp/PgDn or Ctrl-U/Ctrl-D page; g/G first/last"),
            b("Ctrl-R", "refresh now"),
            b("q  Ctrl-C", "quit (asks first if settings are unsaved)"),
        ]),
        Section(title: "Settings", bindings: [
            b("Enter  e", "edit the field (Enter accepts, Esc cancels)"),
            b("Space", "toggle a yes/no field, cycle a choice"),
            b("Del", "clear the field so its default applies"),
            b("r", "reveal or mask secrets"),
            b("s  Ctrl-S", "save: validated, then applied by the engine within 1 s"),
            b("d", "discard unsaved changes"),
        ]),
        Section(title: "Inspector", bindings: [
            b("/", "filter: status:429 status:4xx type:track user:42 id:… or any text"),
            b("Enter", "details: request and response, secrets redacted"),
            b("e", "(in details) jump to the stored event"),
            b("r", "replay the attempt's dead letter"),
        ]),
        Section(title: "Dead letters", bindings: [
            b("Space", "mark or unmark"),
            b("r  x", "replay / discard the marked (or the selected) one"),
            b("R  X", "replay / discard all that match the filter"),
            b("/  Enter", "filter; details with the API's last response"),
        ]),
        Section(title: "Preview and events", bindings: [
            b("e  Enter", "edit or paste the event JSON; Esc runs the preview"),
            b("p", "preview a stored event (in Events: the selected one)"),
            b("a", "all destinations or only the selected one"),
            b("f  Space", "events: pause or follow the tail"),
        ]),
    ]
}
