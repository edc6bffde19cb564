import SluiceDestinations
import SluiceSpec

/// The settings pane's form for one destination: a draft of its settings object, edited field
/// by field and validated by the destinations core as it is typed.
public struct SettingsForm: Sendable {
    public let destination: DestinationID
    public let fields: [SettingField]
    /// The settings as last loaded or saved, secrets in the clear (never drawn unless revealed).
    public private(set) var base: JSONObject
    public private(set) var draft: JSONObject
    public private(set) var baseVersion: Int64
    public var selection = ListSelection()
    public private(set) var editor: LineEditor?
    public var reveal = false
    /// Issues found when the operator tried to save.
    public private(set) var saveIssues: [SettingsIssue] = []
    /// Set when the stored settings changed elsewhere while this draft had unsaved changes.
    public private(set) var conflictVersion: Int64?

    public init(destination: DestinationID, file: SettingsFile, version: Int64) {
        self.destination = destination
        fields = SettingsFile.fields(for: destination)
        base = file.settingsOrDefaults(for: destination)?.json(revealSecrets: true) ?? [:]
        draft = base
        baseVersion = version
    }

    public var selectedField: SettingField? { fields.indices.contains(selection.index) ? fields[selection.index] : nil }
    public var isEditing: Bool { editor != nil }
    public var changedFields: [String] { fields.map(\.key).filter { Self.value(at: $0, in: draft) != Self.value(at: $0, in: base) } }
    public var hasChanges: Bool { !changedFields.isEmpty }

    /// Takes newly stored settings: adopted at once when nothing is being edited, else noted.
    public mutating func storeChanged(_ file: SettingsFile, version: Int64) {
        guard version != baseVersion else { return }
        if hasChanges || isEditing {
            conflictVersion = version
            return
        }
        base = file.settingsOrDefaults(for: destination)?.json(revealSecrets: true) ?? [:]
        draft = base
        baseVersion = version
        conflictVersion = nil
        saveIssues = []
    }

    /// The store now holds `stored` (the submitted fields over what was stored). Fields edited
    /// after the save was submitted stay as unsaved changes; the rest follow the store.
    public mutating func saved(version: Int64, submitted: JSONObject, stored: JSONObject) {
        var merged = stored
        for field in fields where Self.value(at: field.key, in: draft) != Self.value(at: field.key, in: submitted) {
            Self.setValue(Self.value(at: field.key, in: draft), at: field.key, in: &merged)
        }
        base = stored
        draft = merged
        baseVersion = version
        conflictVersion = nil
        saveIssues = []
    }

    public mutating func discard(file: SettingsFile, version: Int64) {
        base = file.settingsOrDefaults(for: destination)?.json(revealSecrets: true) ?? [:]
        draft = base
        baseVersion = version
        editor = nil
        conflictVersion = nil
        saveIssues = []
    }

    // MARK: - Values

    /// The text shown for a field: secrets masked unless revealed.
    public func displayValue(_ field: SettingField) -> String {
        SettingText.format(Self.value(at: field.key, in: draft), as: field.kind, reveal: reveal)
    }

    /// Issues with what the editor holds now, or with the field's draft value.
    public func inlineIssues(_ field: SettingField) -> [SettingsIssue] {
        if let editor, selectedField?.key == field.key {
            if case .secret = field.kind, editor.text.isEmpty { return [] }
            return SettingsFile.validate(destination, field: field.key, value: SettingText.parse(editor.text, as: field.kind))
        }
        let value = Self.value(at: field.key, in: draft) ?? .null
        let issues = SettingsFile.validate(destination, field: field.key, value: value)
        return issues + saveIssues.filter { $0.field == field.key && !issues.contains($0) }
    }

    /// Problems with the whole draft that belong to no single field (e.g. credentials required
    /// once enabled), shown under the form.
    public var formIssues: [SettingsIssue] {
        let keys = Set(fields.map(\.key))
        return saveIssues.filter { !keys.contains($0.field) }
    }

    // MARK: - Keys

    public enum Outcome: Sendable, Equatable {
        case handled, ignored
        case save(JSONObject, changed: [String])
        case invalid(String)
        case discard
    }

    public mutating func handle(_ key: Key, page: Int) -> Outcome {
        if var editor {
            let result = editor.handle(key)
            self.editor = editor
            switch result {
            case .accepted:
                commitEditor()
                return .handled
            case .cancelled:
                self.editor = nil
                return .handled
            case .editing:
                return .handled
            case .ignored:
                return .handled  // an open editor keeps every key to itself
            }
        }
        if selection.handle(key, count: fields.count, page: page) { return .handled }
        guard let field = selectedField else { return .ignored }
        switch key {
        case .enter, .character("e"):
            if case .bool = field.kind { toggle(field); return .handled }
            if case .secret = field.kind {
                editor = LineEditor("")
            } else {
                editor = LineEditor(SettingText.format(Self.value(at: field.key, in: draft), as: field.kind, reveal: true))
            }
            return .handled
        case .character(" "):
            switch field.kind {
            case .bool: toggle(field)
            case .choice(let choices): cycle(field, choices)
            default: return .ignored
            }
            return .handled
        case .delete:
            Self.setValue(nil, at: field.key, in: &draft)
            return .handled
        case .character("r"):
            reveal.toggle()
            return .handled
        case .character("s"), .control("s"):
            return save()
        case .character("d"):
            return hasChanges ? .discard : .handled
        default:
            return .ignored
        }
    }

    public mutating func save() -> Outcome {
        if let conflictVersion {
            return .invalid("\(destination.displayName) settings were saved elsewhere (version \(conflictVersion)) while you edited; press d to load them, then make your change again")
        }
        let issues = SettingsFile.validate(destination, draft: draft)
        saveIssues = issues.filter { $0.severity == .error }
        guard saveIssues.isEmpty else {
            let count = saveIssues.count
            return .invalid("\(destination.displayName): \(count) problem\(count == 1 ? "" : "s") to fix before saving: \(saveIssues[0].description)")
        }
        let changed = changedFields
        guard !changed.isEmpty else { return .invalid("\(destination.displayName): nothing changed") }
        return .save(draft, changed: changed)
    }

    private mutating func commitEditor() {
        guard let editor, let field = selectedField else { return }
        self.editor = nil
        if case .secret = field.kind, editor.text.isEmpty { return }  // empty keeps the current secret
        let value = SettingText.parse(editor.text, as: field.kind)
        Self.setValue(value.isNull ? nil : value, at: field.key, in: &draft)
    }

    private mutating func toggle(_ field: SettingField) {
        let current = Self.value(at: field.key, in: draft)?.boolValue ?? false
        Self.setValue(.bool(!current), at: field.key, in: &draft)
    }

    private mutating func cycle(_ field: SettingField, _ choices: [String]) {
        guard !choices.isEmpty else { return }
        let current = Self.value(at: field.key, in: draft)?.stringValue
        let next = current.flatMap { choices.firstIndex(of: $0) }.map { (choices.index(after: $0)) % choices.count } ?? 0
        Self.setValue(.string(choices[next]), at: field.key, in: &draft)
    }

    // MARK: - Dotted field paths (`rateLimits.perMinute`)

    public static func value(at path: String, in object: JSONObject) -> JSON? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return object[path] }
        return object[parts[0]]?.objectValue?[parts[1]]
    }

    public static func setValue(_ value: JSON?, at path: String, in object: inout JSONObject) {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            object[path] = value
            return
        }
        var inner = object[parts[0]]?.objectValue ?? [:]
        inner[parts[1]] = value
        object[parts[0]] = inner.isEmpty ? nil : .object(inner)
    }
}
