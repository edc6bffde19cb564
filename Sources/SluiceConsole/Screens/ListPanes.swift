import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

/// A table with a header row: columns of fixed width and one that takes the rest.
struct Table {
    struct Column {
        let title: String
        let width: Int?  // nil: the remaining width
        var alignRight = false
        /// Left out (width 0) when keeping it would squeeze the flexible column below 16.
        var optional = false
    }

    let columns: [Column]

    func widths(total: Int) -> [Int] {
        var kept = columns.map { _ in true }
        func flexible() -> Int {
            let fixed = zip(columns, kept).filter { $0.1 }.compactMap(\.0.width).reduce(0, +) + kept.filter { $0 }.count
            return total - fixed
        }
        for index in columns.indices where columns[index].optional && flexible() < 16 { kept[index] = false }
        return zip(columns, kept).map { column, keep in keep ? (column.width ?? max(6, flexible())) : 0 }
    }

    func drawHeader(on surface: Surface, row: Int) {
        draw(cells: columns.map { ($0.title, Role.header) }, on: surface, row: row)
    }

    func draw(cells: [(String, Role)], on surface: Surface, row: Int) {
        var col = 1
        for (index, width) in widths(total: surface.width - 1).enumerated() where index < cells.count && width > 0 {
            let text = columns[index].alignRight ? Format.padLeft(cells[index].0, width) : cells[index].0
            surface.clipped(text, row: row, col: col, width: width, role: cells[index].1)
            col += width + 1
        }
    }
}

enum InspectorPane {
    static let table = Table(columns: [
        .init(title: "TIME", width: 8, optional: true), .init(title: "STATUS", width: 6), .init(title: "CALL", width: 8),
        .init(title: "USER", width: 12), .init(title: "REQUEST", width: nil), .init(title: "LATENCY", width: 8, alignRight: true),
    ])

    static func draw(_ dashboard: inout Dashboard, on surface: Surface) {
        let state = dashboard.inspector
        let records = state.visible(dashboard.data.attempts)
        var row = 0
        if let editor = state.filter.editor {
            surface.text("/", row: 0, col: 1, role: .key)
            editor.draw(on: surface, row: 0, col: 3, width: surface.width - 4, focused: true)
            row = 1
        } else if !state.filter.text.isEmpty {
            surface.clipped("filter \"\(state.filter.text)\": \(records.count) of \(dashboard.data.attempts.count) attempts (Esc clears)",
                            row: 0, col: 1, width: surface.width - 2, role: .accent)
            row = 1
        }
        table.drawHeader(on: surface, row: row)
        row += 1
        let visible = surface.height - row
        if records.isEmpty {
            let why = dashboard.data.attempts.isEmpty ? "No attempts recorded yet for \(dashboard.selected.displayName)." : "No attempt matches the filter."
            surface.text(why, row: row, col: 1, role: .dim)
            return
        }
        let offset = dashboard.inspector.selection.scroll(count: records.count, visible: visible)
        for (index, record) in records.enumerated().dropFirst(offset).prefix(visible) {
            let path = URLComponents(string: record.url).map { $0.percentEncodedPath + ($0.percentEncodedQuery.map { "?" + $0 } ?? "") } ?? record.url
            table.draw(cells: [
                (Format.clock(record.at), .dim),
                (record.status.map(String.init) ?? "—", StatusRole.of(record.status)),
                (record.callType, .text),
                (record.user, .text),
                ("\(record.method) \(path)", .text),
                (Format.milliseconds(record.latencyMs), .dim),
            ], on: surface, row: row)
            if index == dashboard.inspector.selection.index && dashboard.focus == .pane { surface.highlight(row: row, role: .selection) }
            row += 1
        }
    }
}

enum DeadLettersPane {
    static let table = Table(columns: [
        .init(title: "", width: 1), .init(title: "ID", width: 7, alignRight: true), .init(title: "AGE", width: 6, optional: true),
        .init(title: "STATUS", width: 6), .init(title: "CALL", width: 8), .init(title: "USER", width: 10), .init(title: "ERROR", width: nil),
    ])

    static func draw(_ dashboard: inout Dashboard, on surface: Surface) {
        let state = dashboard.deadLetters
        let jobs = state.visible(dashboard.data.deadLetters)
        let total = dashboard.data.deadLetterCounts[dashboard.selected] ?? dashboard.data.deadLetters.count
        var row = 0
        if let editor = state.filter.editor {
            surface.text("/", row: 0, col: 1, role: .key)
            editor.draw(on: surface, row: 0, col: 3, width: surface.width - 4, focused: true)
        } else {
            var summary = "\(Format.count(total)) dead letter\(total == 1 ? "" : "s")"
            if !state.filter.text.isEmpty { summary += ", \(jobs.count) match \"\(state.filter.text)\"" }
            if !state.marked.isEmpty { summary += ", \(state.marked.count) marked" }
            surface.clipped(summary, row: 0, col: 1, width: surface.width - 2, role: total > 0 ? .warn : .dim)
        }
        row = 1
        table.drawHeader(on: surface, row: row)
        row += 1
        if jobs.isEmpty {
            let message = total == 0 ? "No dead letters. Everything was delivered or is still being retried." : "No dead letter matches the filter."
            for (index, line) in SettingsPane.wrap(message, width: surface.width - 2).enumerated() {
                surface.text(line, row: row + index, col: 1, role: .dim)
            }
            return
        }
        // The selected letter's whole error, below the list, since the column cuts it short.
        let errorRows = 3
        let visible = surface.height - row - errorRows - 1
        if jobs.indices.contains(dashboard.deadLetters.selection.index) {
            let job = jobs[dashboard.deadLetters.selection.index]
            surface.text("Error of \(job.id)", row: surface.height - errorRows - 1, col: 1, role: .header)
            let message = (job.lastError ?? "(none)").replacingOccurrences(of: "\n", with: " ")
            for (index, line) in SettingsPane.wrap(message, width: surface.width - 4).prefix(errorRows).enumerated() {
                surface.clipped(line, row: surface.height - errorRows + index, col: 3, width: surface.width - 4, role: .error)
            }
        }
        let offset = dashboard.deadLetters.selection.scroll(count: jobs.count, visible: visible)
        for (index, job) in jobs.enumerated().dropFirst(offset).prefix(visible) {
            let age = job.deadAt.map { Format.duration(ms: max(0, dashboard.data.now - $0)) } ?? "?"
            table.draw(cells: [
                (state.marked.contains(job.id) ? String(surface.glyphs.mark) : " ", .accent),
                (String(job.id), .dim),
                (age, .dim),
                (job.lastStatus.map(String.init) ?? "—", StatusRole.of(job.lastStatus)),
                (job.type.rawValue, .text),
                (job.lane, .text),
                ((job.lastError ?? "").replacingOccurrences(of: "\n", with: " "), .error),
            ], on: surface, row: row)
            if index == dashboard.deadLetters.selection.index && dashboard.focus == .pane { surface.highlight(row: row, role: .selection) }
            row += 1
        }
    }
}

enum EventsPane {
    static let table = Table(columns: [
        .init(title: "ID", width: 8, alignRight: true), .init(title: "RECEIVED", width: 8), .init(title: "TYPE", width: 8),
        .init(title: "USER", width: 14), .init(title: "NAME", width: nil),
    ])

    static func draw(_ dashboard: inout Dashboard, on surface: Surface) {
        let events = dashboard.events.shown
        table.drawHeader(on: surface, row: 0)
        if events.isEmpty {
            surface.text("No events stored yet. Send some: sluice send --help", row: 1, col: 1, role: .dim)
            return
        }
        let visible = surface.height - 1
        let offset = dashboard.events.selection.scroll(count: events.count, visible: visible)
        var row = 1
        for (index, stored) in events.enumerated().dropFirst(offset).prefix(visible) {
            let record = stored.record
            let name = summary(of: stored)
            table.draw(cells: [
                (String(stored.id), .dim),
                (Format.clock(record.receivedAt), .dim),
                (record.type.rawValue, .accent),
                (record.userId ?? record.anonymousId ?? "", .text),
                (name, .text),
            ], on: surface, row: row)
            if index == dashboard.events.selection.index && dashboard.focus == .pane { surface.highlight(row: row, role: .selection) }
            row += 1
        }
    }

    /// The event name, page name or group id, read from the payload only for visible rows.
    static func summary(of stored: StoredEvent) -> String {
        guard let event = try? stored.event() else { return "" }
        switch event.type {
        case .track: return event.event ?? ""
        case .page, .screen: return event.name ?? ""
        case .group: return event.groupId.map { "group \($0)" } ?? ""
        case .alias: return event.previousId.map { "from \($0)" } ?? ""
        case .identify: return event.traits["email"]?.stringValue ?? ""
        }
    }
}

enum PreviewPane {
    static func draw(_ dashboard: inout Dashboard, on surface: Surface) {
        let state = dashboard.preview
        let editorRows = max(4, surface.height / 3)
        surface.text(state.editing ? "Event JSON (editing: Esc runs the preview)" : "Event JSON (e edits, p picks a stored event)",
                     row: 0, col: 1, role: .header)
        let box = surface.sub(row: 1, col: 1, height: editorRows, width: surface.width - 2)
        box.fill(role: state.editing ? .input : .text)
        var textLines = state.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if state.text.isEmpty { textLines = [] }
        let first = max(0, textLines.count - editorRows)
        for (index, line) in textLines.dropFirst(first).enumerated() {
            box.text(line, row: index, col: 0, role: state.editing ? .input : .text)
        }
        if state.text.isEmpty && !state.editing {
            box.text("{\"type\":\"identify\",\"userId\":\"42\",\"traits\":{\"email\":\"ada@example.com\"}}", row: 0, role: .dim)
        }
        if state.editing {
            let lastLine = textLines.last ?? ""
            box.grid.cursor = (box.rect.row + min(editorRows - 1, max(0, textLines.count - 1 - first)), box.rect.col + min(box.width - 1, lastLine.count))
        }
        var lines: [StyledLine] = []
        if let error = state.error { lines.append(StyledLine(error, .error)) }
        let results = state.allDestinations ? state.results : state.results.filter { $0.destination == dashboard.selected }
        for result in results {
            lines += resultLines(result)
            lines.append(StyledLine(""))
        }
        if lines.isEmpty && state.error == nil {
            lines.append(StyledLine("The requests each destination would make appear here. Nothing is sent.", .dim))
        }
        let resultsArea = surface.sub(row: editorRows + 2, height: surface.height - editorRows - 2)
        // Kept within the results, so scrolling back up answers at once.
        dashboard.preview.scroll = min(state.scroll, max(0, lines.count - resultsArea.height))
        resultsArea.sub(row: 0, col: 1, height: resultsArea.height).lines(lines, offset: dashboard.preview.scroll)
    }

    static func resultLines(_ result: PreviewResult) -> [StyledLine] {
        var lines: [StyledLine] = []
        var heading = StyledLine(result.destination.displayName + ": ", .title)
        switch result.outcome {
        case .mapped(.delivered(let notes)): heading.append(notes.isEmpty ? "would deliver" : "would deliver (\(notes.joined(separator: "; ")))", .good)
        case .mapped(.skipped(let reason)): heading.append("skipped: \(reason)", .warn)
        case .mapped(.held(let reason, _)): heading.append("held: \(reason)", .warn)
        case .failed(let error): heading.append("fails: \(error)", .error)
        }
        lines.append(heading)
        for warning in result.warnings { lines.append(StyledLine("  ! " + warning, .warn)) }
        if result.requests.isEmpty { lines.append(StyledLine("  (no requests)", .dim)) }
        for (index, request) in result.requests.enumerated() {
            var line = StyledLine("  \(index + 1). ", .dim)
            line.append("\(request.method.rawValue) ", .header)
            line.append(request.url)
            lines.append(line)
            for header in request.headers { lines.append(AttemptDetail.header("   " + header.name, header.value)) }
            switch request.body {
            case .json(let json): lines += JSONLines.render(json, indent: "     ")
            case .form(let fields): lines.append(StyledLine("     " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")))
            case nil: break
            }
        }
        return lines
    }
}
