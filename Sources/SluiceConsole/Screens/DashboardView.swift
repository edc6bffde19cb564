import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

/// Draws a `Dashboard` into a grid: header, pane tabs, the destination list on the left, the
/// selected pane on the right, a footer for hints, status and the command line, and overlays.
public enum DashboardView {
    public static let minimum = Size(rows: 24, cols: 80)

    public static func render(_ dashboard: inout Dashboard, into grid: Grid) {
        grid.cursor = nil
        let screen = grid.surface
        screen.fill()
        dashboard.tooSmall = grid.size.rows < minimum.rows || grid.size.cols < minimum.cols
        guard !dashboard.tooSmall else {
            tooSmall(screen)
            return
        }
        header(dashboard, screen.sub(row: 0, height: 1))
        tabs(dashboard, screen.sub(row: 1, height: 1))
        let bodyHeight = grid.size.rows - 3
        let listWidth = grid.size.cols >= 140 ? 30 : 24
        destinationList(dashboard, screen.sub(Rect(row: 2, col: 0, height: bodyHeight, width: listWidth)))
        let paneSurface = screen.sub(Rect(row: 2, col: listWidth, height: bodyHeight, width: grid.size.cols - listWidth))
        dashboard.pageRows = max(1, bodyHeight - 4)
        dashboard.screenRows = grid.size.rows
        pane(&dashboard, paneSurface)
        footer(dashboard, screen.sub(row: grid.size.rows - 1, height: 1))
        switch dashboard.overlay {
        case .help(let scroll): HelpOverlay.draw(scroll: scroll, on: screen)
        case .confirm(let confirmation): confirm(confirmation, on: screen)
        case nil: break
        }
    }

    static func tooSmall(_ screen: Surface) {
        let lines = [
            "Sluice needs a terminal of at least \(minimum.cols)×\(minimum.rows);",
            "this one is \(screen.width)×\(screen.height).",
            "Enlarge the window, or press q to quit.",
        ]
        let top = max(0, screen.height / 2 - 1)
        for (index, line) in lines.enumerated() {
            screen.clipped(line, row: top + index, col: max(0, (screen.width - line.count) / 2), width: screen.width, role: index == 0 ? .warn : .text)
        }
    }

    static func header(_ dashboard: Dashboard, _ bar: Surface) {
        bar.fill(role: .status)
        var col = bar.text(" Sluice ", row: 0, role: .title)
        let database = dashboard.databaseLabel.isEmpty ? "" : "  \(dashboard.databaseLabel)"
        col = bar.clipped(database, row: 0, col: col, width: max(0, bar.width - col - 34), role: .status)
        let right = "\(Format.count(dashboard.data.eventCount)) events stored  \(Format.clock(dashboard.data.now)) UTC "
        bar.text(right, row: 0, col: bar.width - right.count, role: .status)
    }

    static func tabs(_ dashboard: Dashboard, _ bar: Surface) {
        let full = Pane.allCases.reduce(1) { $0 + $1.title.count + 5 }
        var col = 1
        for pane in Pane.allCases {
            let label = " \(pane.rawValue) \(full <= bar.width ? pane.title : pane.shortTitle) "
            col = bar.text(label, row: 0, col: col, role: pane == dashboard.pane ? .tabActive : .tab) + 1
        }
    }

    // MARK: - Destination list

    static func destinationList(_ dashboard: Dashboard, _ area: Surface) {
        let inside = area.box(title: "Destinations", focused: dashboard.focus == .destinations)
        let data = dashboard.data
        var row = 0
        for id in DestinationID.allCases {
            let health = Health.assess(id, in: data)
            let isSelected = id == dashboard.selected
            let rows = inside.sub(row: row, height: 3)
            rows.text(String(inside.glyphs.dot), row: 0, col: 1, role: health.role)
            rows.clipped(id.displayName, row: 0, col: 3, width: inside.width - 4, role: isSelected ? .title : .text)
            let dead = data.deadLetterCounts[id] ?? 0
            let after = rows.clipped(health.rawValue, row: 1, col: 3, width: inside.width - 4, role: health.role)
            if dead > 0 { rows.clipped(" \(Format.count(dead)) dead", row: 1, col: after, width: inside.width - after, role: .bad) }
            let last = data.stats[id]?.last
            let perSecond = lastFullSecond(data.stats[id] ?? [], now: data.now)?.delivered ?? 0
            rows.clipped("\(perSecond)/s  queue \(Format.count(last?.queueDepth ?? 0))", row: 2, col: 3, width: inside.width - 4, role: .dim)
            if isSelected {
                if dashboard.focus == .destinations {
                    for r in 0..<3 { rows.highlight(row: r, role: .selection) }
                } else {
                    rows.text(String(inside.glyphs.pointer), row: 0, col: 0, role: .accent)
                }
            }
            row += 4
        }
    }

    /// The newest second that is over (the current one is still being counted).
    static func lastFullSecond(_ seconds: [StatsSecond], now: Millis) -> StatsSecond? {
        seconds.last { $0.second < now / 1000 }
    }

    // MARK: - Panes

    static func pane(_ dashboard: inout Dashboard, _ area: Surface) {
        let id = dashboard.selected
        let title = dashboard.pane.isPerDestination ? "\(id.displayName) · \(dashboard.pane.title)" : dashboard.pane.title
        let focused = dashboard.focus == .pane
        switch dashboard.pane {
        case .live:
            LivePane.draw(dashboard, on: area.box(title: title, focused: focused))
        case .headroom:
            HeadroomPane.draw(dashboard, on: area.box(title: title, focused: focused))
        case .settings:
            if dashboard.forms[id] == nil, dashboard.hasLoaded {
                dashboard.forms[id] = SettingsForm(destination: id, file: dashboard.data.settings, version: dashboard.data.settingsVersion)
            }
            let inside = area.box(title: title, focused: focused)
            if dashboard.hasLoaded {
                SettingsPane.draw(dashboard, on: inside)
            } else {
                inside.text("Reading the settings from the store…", row: 0, col: 1, role: .dim)
            }
        case .inspector:
            if let detail = dashboard.inspector.detail {
                DetailPane.draw(detail, on: area.box(title: "\(id.displayName) · \(detail.title)", focused: focused, hint: "e event · r replay · Esc back"))
            } else {
                InspectorPane.draw(&dashboard, on: area.box(title: title, focused: focused))
            }
        case .deadLetters:
            if let detail = dashboard.deadLetters.detail {
                DetailPane.draw(detail, on: area.box(title: "\(id.displayName) · \(detail.title)", focused: focused, hint: "Esc back"))
            } else {
                DeadLettersPane.draw(&dashboard, on: area.box(title: title, focused: focused))
            }
        case .preview:
            PreviewPane.draw(&dashboard, on: area.box(title: title, focused: focused))
        case .events:
            if let detail = dashboard.events.detail {
                DetailPane.draw(detail, on: area.box(title: detail.title, focused: focused, hint: "p preview · Esc back"))
            } else {
                EventsPane.draw(&dashboard, on: area.box(title: dashboard.events.paused ? "Events (paused: f follows)" : "Events (following)", focused: focused))
            }
        }
    }

    // MARK: - Footer and overlays

    static func footer(_ dashboard: Dashboard, _ bar: Surface) {
        bar.fill(role: .status)
        if let line = dashboard.commandLine {
            bar.text(":", row: 0, col: 0, role: .key)
            line.draw(on: bar, row: 0, col: 1, width: bar.width - 1, role: .status, focused: true)
            return
        }
        if let status = dashboard.visibleStatus {
            bar.clipped(" " + status.text, row: 0, width: bar.width, role: status.role)
            return
        }
        var col = 1
        for (keys, action) in hints(dashboard) {
            guard col + keys.count + action.count + 2 < bar.width else { break }
            col = bar.text(keys, row: 0, col: col, role: .key)
            col = bar.text(" " + action + "  ", row: 0, col: col, role: .status)
        }
    }

    static func hints(_ dashboard: Dashboard) -> [(String, String)] {
        if dashboard.focus == .destinations {
            return [("j/k", "select"), ("Enter", "open"), ("1-7", "panes"), ("Tab", "next"), (":", "command"), ("?", "help"), ("q", "quit")]
        }
        switch dashboard.pane {
        case .settings:
            if dashboard.forms[dashboard.selected]?.isEditing == true {
                return [("Enter", "accept"), ("Esc", "cancel"), ("Ctrl-U", "clear"), ("←/→", "move")]
            }
            return [("Enter", "edit"), ("Space", "toggle"), ("Del", "clear"), ("r", "reveal"), ("s", "save"), ("d", "discard"), ("?", "help")]
        case .inspector:
            if dashboard.inspector.filter.isEditing { return [("Enter", "apply"), ("Esc", "clear filter")] }
            return [("j/k", "move"), ("Enter", "details"), ("/", "filter"), ("r", "replay"), ("Esc", "back"), ("?", "help")]
        case .deadLetters:
            if dashboard.deadLetters.filter.isEditing { return [("Enter", "apply"), ("Esc", "clear filter")] }
            return [("Space", "mark"), ("r", "replay"), ("x", "discard"), ("R/X", "all"), ("/", "filter"), ("Enter", "details")]
        case .preview:
            if dashboard.preview.editing { return [("Esc", "run preview"), ("Ctrl-U", "clear"), ("", "type or paste JSON")] }
            return [("e", "edit event"), ("p", "pick stored event"), ("a", "all/one destination"), ("j/k", "scroll")]
        case .events:
            return [("j/k", "move"), ("Enter", "details"), ("p", "preview"), ("f", dashboard.events.paused ? "follow" : "pause")]
        case .live, .headroom:
            return [("Tab", "next pane"), ("1-7", "panes"), ("Esc", "back"), (":", "command"), ("?", "help"), ("q", "quit")]
        }
    }

    static func confirm(_ confirmation: Dashboard.Confirmation, on screen: Surface) {
        let width = min(screen.width - 4, max(40, confirmation.question.count + 6))
        let lines = SettingsPane.wrap(confirmation.question, width: width - 4)
        let height = lines.count + 4
        let area = screen.sub(Rect(row: max(0, screen.height / 2 - height / 2), col: (screen.width - width) / 2, height: height, width: width))
        area.fill()
        let inside = area.box(title: "Confirm", focused: true)
        for (index, line) in lines.enumerated() {
            inside.clipped(line, row: 1 + index, col: 1, width: inside.width - 2, role: .warn)
        }
    }
}

enum DetailPane {
    static func draw(_ detail: DetailView, on area: Surface) {
        let surface = area.sub(row: 0, col: 1, height: area.height, width: area.width - 1)
        surface.lines(detail.lines, offset: detail.scroll)
        if detail.lines.count > surface.height {
            let position = "\(min(detail.lines.count, detail.scroll + surface.height))/\(detail.lines.count)"
            surface.text(position, row: surface.height - 1, col: surface.width - position.count, role: .dim)
        }
    }
}

enum HelpOverlay {
    static let keyWidth = 16

    static var lines: [StyledLine] {
        var lines: [StyledLine] = []
        for section in KeyBindings.sections {
            if !lines.isEmpty { lines.append(StyledLine("")) }
            lines.append(StyledLine(section.title, .title))
            for binding in section.bindings {
                var line = StyledLine(" " + Format.pad(binding.keys, keyWidth), .key)
                line.append(binding.action)
                lines.append(line)
            }
        }
        return lines
    }

    static func draw(scroll: Int, on screen: Surface) {
        let lines = Self.lines
        let width = min(screen.width - 4, 100)
        let height = min(screen.height - 2, lines.count + 2)
        let area = screen.sub(Rect(row: 1, col: (screen.width - width) / 2, height: height, width: width))
        area.fill()
        let scrollable = lines.count > height - 2
        let inside = area.box(title: "Keys", focused: true, hint: scrollable ? "j/k scroll · other keys close" : "any key closes")
        inside.sub(row: 0, col: 1, height: inside.height).lines(lines, offset: min(scroll, max(0, lines.count - inside.height)))
    }

    static func maxScroll(rows: Int) -> Int { max(0, lines.count - (rows - 4)) }
}
