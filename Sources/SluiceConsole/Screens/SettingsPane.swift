import SluiceDestinations
import SluiceSpec
import SluiceStore

/// The settings form: one row per field with inline validation under it, the selected field's
/// help, problems that stop a save, and the audit trail.
enum SettingsPane {
    static func draw(_ dashboard: Dashboard, on surface: Surface) {
        guard let form = dashboard.forms[dashboard.selected] else { return }
        let id = dashboard.selected
        let focused = dashboard.focus == .pane
        var heading = "version \(form.baseVersion)"
        if form.hasChanges { heading += "  unsaved: \(form.changedFields.joined(separator: ", "))" }
        surface.clipped(heading, row: 0, col: 1, width: surface.width - 2, role: form.hasChanges ? .warn : .dim)
        if let conflict = form.conflictVersion {
            surface.clipped("Saved elsewhere meanwhile (version \(conflict)); d discards yours and loads it.", row: 0, col: 1, width: surface.width - 2, role: .warn)
        }

        let labelWidth = min(44, max(18, surface.width / 2 - 4))
        let valueCol = labelWidth + 3
        let valueWidth = max(8, surface.width - valueCol - 2)
        // Field rows, each followed by its inline issues.
        var rows: [(field: Int?, line: StyledLine)] = []
        for (index, field) in form.fields.enumerated() {
            rows.append((index, StyledLine("")))
            for issue in form.inlineIssues(field) {
                let role: Role = issue.severity == .error ? .error : .warn
                let indent = surface.width >= 100 ? valueCol : 4
                for (index, line) in wrap(issue.message, width: surface.width - indent - 4).enumerated() {
                    rows.append((nil, StyledLine(String(repeating: " ", count: indent) + (index == 0 ? "↳ " : "  ") + line, role)))
                }
            }
        }
        let footerRows = min(12, max(6, surface.height / 3))
        let listHeight = max(3, surface.height - 2 - footerRows)
        var selection = ListSelection()
        selection.index = rows.firstIndex { $0.field == form.selection.index } ?? 0
        selection.offset = 0
        let offset = selection.scroll(count: rows.count, visible: listHeight)
        let list = surface.sub(row: 2, height: listHeight)
        for (visibleRow, entry) in rows.dropFirst(offset).prefix(listHeight).enumerated() {
            guard let index = entry.field else {
                list.clipped(entry.line.plain, row: visibleRow, col: 0, width: list.width - 1, role: entry.line.spans.first?.role ?? .error)
                continue
            }
            let field = form.fields[index]
            let isSelected = index == form.selection.index
            let changed = form.changedFields.contains(field.key)
            if changed { list.text("*", row: visibleRow, col: 0, role: .warn) }
            list.clipped(field.label, row: visibleRow, col: 2, width: labelWidth, role: isSelected ? .title : .text)
            if isSelected, let editor = form.editor {
                var mask: Character?
                if case .secret = field.kind, !form.reveal { mask = "•" }
                editor.draw(on: list, row: visibleRow, col: valueCol, width: valueWidth, focused: focused, mask: mask)
            } else {
                let value = form.displayValue(field)
                let role: Role
                if case .secret = field.kind { role = .secret } else { role = value.isEmpty ? .dim : .text }
                list.clipped(value.isEmpty ? "(default)" : value, row: visibleRow, col: valueCol, width: valueWidth, role: role)
            }
            if isSelected && focused && form.editor == nil { list.highlight(row: visibleRow, role: .selection) }
        }

        var row = 2 + listHeight + 1
        if let field = form.selectedField {
            for line in wrap(field.help, width: surface.width - 4).prefix(3) where row < surface.height {
                surface.text(line, row: row, col: 2, role: .dim)
                row += 1
            }
        }
        for issue in form.formIssues where row < surface.height {
            surface.clipped("✗ " + issue.description, row: row, col: 1, width: surface.width - 2, role: .error)
            row += 1
        }
        let audit = dashboard.data.audit.filter { $0.destination == id.rawValue }
        guard row + 1 < surface.height else { return }
        surface.text("Changes (who, when, which field; values never shown)", row: row, col: 1, role: .header)
        row += 1
        if audit.isEmpty { surface.text("no changes recorded yet", row: row, col: 3, role: .dim) }
        for entry in audit.prefix(surface.height - row) {
            surface.clipped("\(Format.clock(entry.at))  \(entry.osUser)  \(entry.field)  (\(entry.origin))", row: row, col: 3, width: surface.width - 4, role: .text)
            row += 1
        }
    }

    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 10 else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
