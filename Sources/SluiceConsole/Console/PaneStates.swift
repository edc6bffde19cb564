import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

/// What a pane did with a key.
public enum PaneOutcome: Sendable, Equatable {
    case ignored
    case handled
    case commands([DashboardCommand])
    case confirm(String, DashboardCommand)
    case say(String, Role)
    case previewEvent(String)
}

/// A scrollable full-pane view of styled lines: an attempt, a dead letter or an event.
public struct DetailView: Sendable, Equatable {
    public var title: String
    public var lines: [StyledLine]
    public var scroll = 0
    /// The event ids this detail can jump to with `e`.
    public var eventIds: [Int64] = []

    public init(title: String, lines: [StyledLine], eventIds: [Int64] = []) {
        self.title = title
        self.lines = lines
        self.eventIds = eventIds
    }

    public mutating func handle(_ key: Key, page: Int) -> Bool {
        let last = max(0, lines.count - page)
        switch key {
        case .down, .character("j"): scroll = min(last, scroll + 1)
        case .up, .character("k"): scroll = max(0, scroll - 1)
        case .pageDown, .character(" "), .control("d"): scroll = min(last, scroll + page)
        case .pageUp, .control("u"): scroll = max(0, scroll - page)
        case .home, .character("g"): scroll = 0
        case .end, .character("G"): scroll = last
        default: return false
        }
        return true
    }

    public mutating func showEvent(_ event: StoredEventView) {
        title = "Event \(event.id)"
        lines = JSONLines.render(event.text)
        scroll = 0
        eventIds = []
    }
}

/// Filters shared by the inspector and the dead-letter list: every word must match. Words may
/// name a field (`status:429`, `status:4xx`, `type:identify`, `user:42`, `id:<messageId>`); a bare
/// word matches any of them, the URL, the outcome or the error text, ignoring case.
public struct RecordFilter: Sendable, Hashable {
    public let words: [String]

    public init(_ text: String) {
        words = text.lowercased().split(separator: " ").map(String.init)
    }

    public var isEmpty: Bool { words.isEmpty }

    public func matches(status: Int?, type: String, user: String, messageIds: [String], text: [String]) -> Bool {
        let statusText = status.map(String.init) ?? "-"
        return words.allSatisfy { word in
            if let value = Self.value(word, "status:") {
                let pattern = value.replacingOccurrences(of: "x", with: "")
                return value.hasSuffix("x") ? statusText.hasPrefix(pattern) : statusText == value
            }
            if let value = Self.value(word, "type:") { return type.lowercased() == value }
            if let value = Self.value(word, "user:") { return user.lowercased().contains(value) }
            if let value = Self.value(word, "id:") { return messageIds.contains { $0.lowercased().contains(value) } }
            return statusText == word || type.lowercased().contains(word) || user.lowercased().contains(word)
                || messageIds.contains { $0.lowercased().contains(word) } || text.contains { $0.lowercased().contains(word) }
        }
    }

    private static func value(_ word: String, _ prefix: String) -> String? {
        word.hasPrefix(prefix) ? String(word.dropFirst(prefix.count)) : nil
    }

    public func matches(_ record: AttemptRecord) -> Bool {
        matches(status: record.status, type: record.callType, user: record.user, messageIds: record.messageIds,
                text: [record.url, record.outcome, record.method])
    }

    public func matches(_ job: Job) -> Bool {
        matches(status: job.lastStatus, type: job.type.rawValue, user: job.lane, messageIds: [job.messageId],
                text: [job.lastError ?? "", job.lastResponse ?? ""])
    }
}

/// The `/` filter of a list: the text, its parsed form, and the editor while it is typed.
public struct FilterField: Sendable {
    public private(set) var text = ""
    public private(set) var filter = RecordFilter("")
    public private(set) var editor: LineEditor?

    public init() {}

    public var isEditing: Bool { editor != nil }
    public var isEmpty: Bool { filter.isEmpty }

    public mutating func begin() { editor = LineEditor(text) }

    /// Takes a key while the editor is open: the list filters as the text is typed, Enter
    /// keeps the filter, Esc clears it.
    public mutating func edit(_ key: Key) {
        guard var editor else { return }
        switch editor.handle(key) {
        case .accepted: self.editor = nil
        case .cancelled:
            self.editor = nil
            text = ""
        case .editing, .ignored:
            self.editor = editor
            text = editor.text
        }
        filter = RecordFilter(text)
    }

    public mutating func clear() {
        text = ""
        filter = RecordFilter("")
    }
}

// MARK: - Inspector

public struct InspectorState: Sendable {
    public var selection = ListSelection()
    public var filter = FilterField()
    public var detail: DetailView?
    /// The record the detail shows, kept while refreshes replace the list.
    public var detailRecordId: Int64?

    public init() {}

    public func visible(_ records: [AttemptRecord]) -> [AttemptRecord] {
        filter.isEmpty ? records : records.filter(filter.filter.matches)
    }

    mutating func handle(_ key: Key, records: [AttemptRecord], deadLetters: [Job], destination: DestinationID, page: Int) -> PaneOutcome {
        if filter.isEditing {
            filter.edit(key)
            selection = ListSelection()
            return .handled
        }
        let shown = visible(records)
        if detail != nil {
            if detail!.handle(key, page: page + 2) { return .handled }
            switch key {
            case .escape, .character("q"), .left, .character("h"):
                detail = nil
                return .handled
            case .character("e"):
                guard let id = detail?.eventIds.first else { return .say("This record names no stored event.", .warn) }
                return .commands([.loadEvent(id: id)])
            case .character("r"):
                guard let record = shown.first(where: { $0.id == detailRecordId }) ?? records.first(where: { $0.id == detailRecordId }) else { return .handled }
                return replay(record, deadLetters: deadLetters, destination: destination)
            default:
                return .handled
            }
        }
        if selection.handle(key, count: shown.count, page: page) { return .handled }
        switch key {
        case .character("/"):
            filter.begin()
            return .handled
        case .enter:
            guard shown.indices.contains(selection.index) else { return .handled }
            let record = shown[selection.index]
            detail = DetailView(title: "Attempt \(record.id)", lines: AttemptDetail.lines(record), eventIds: record.eventIds)
            detailRecordId = record.id
            return .handled
        case .character("r"):
            guard shown.indices.contains(selection.index) else { return .handled }
            return replay(shown[selection.index], deadLetters: deadLetters, destination: destination)
        case .escape where !filter.text.isEmpty:
            filter.clear()
            return .handled
        default:
            return .ignored
        }
    }

    /// Only an attempt whose event ended as a dead letter can be replayed: delivered events
    /// are not sent twice, and queued ones are still being retried.
    private func replay(_ record: AttemptRecord, deadLetters: [Job], destination: DestinationID) -> PaneOutcome {
        let jobs = deadLetters.filter { record.eventIds.contains($0.eventId) }
        guard !jobs.isEmpty else {
            return .say("Attempt \(record.id) has no dead letter to replay (\(record.outcome)); only dead letters are replayed.", .warn)
        }
        let filter = DeadLetterFilter(destination: destination.rawValue, ids: jobs.map(\.id))
        return .confirm("Replay \(jobs.count) dead letter\(jobs.count == 1 ? "" : "s") of attempt \(record.id) to \(destination.displayName)? y/n", .replay(filter))
    }
}

enum AttemptDetail {
    static func lines(_ record: AttemptRecord) -> [StyledLine] {
        var lines: [StyledLine] = []
        var head = StyledLine("\(Format.clock(record.at))  ", .dim)
        head.append("\(record.method) ", .header)
        head.append(record.url)
        lines.append(head)
        var summary = StyledLine("status ", .dim)
        summary.append(record.status.map(String.init) ?? "none", StatusRole.of(record.status))
        summary.append("  \(record.outcome)  \(Format.milliseconds(record.latencyMs))  attempt \(record.attempt)", .text)
        lines.append(summary)
        lines.append(StyledLine("\(record.callType) for user \(record.user)"))
        lines.append(StyledLine("messageIds \(record.messageIds.joined(separator: ", "))", .dim))
        for note in record.notes { lines.append(StyledLine("note: \(note)", .warn)) }
        lines.append(StyledLine(""))
        lines.append(StyledLine("Request headers", .title))
        for (name, value) in CredentialMasking.maskHeaders(record.requestHeaders) { lines.append(header(name, value)) }
        lines.append(StyledLine("Request body", .title))
        lines += JSONLines.render(record.requestBody, indent: "  ")
        lines.append(StyledLine(""))
        lines.append(StyledLine("Response headers", .title))
        for (name, value) in CredentialMasking.maskHeaders(record.responseHeaders) { lines.append(header(name, value)) }
        lines.append(StyledLine("Response body", .title))
        lines += JSONLines.render(record.responseBody, indent: "  ")
        return lines
    }

    static func header(_ name: String, _ value: String) -> StyledLine {
        var line = StyledLine("  \(name): ", .jsonKey)
        line.append(value, value.contains("••••") ? .secret : .text)
        return line
    }
}

enum StatusRole {
    static func of(_ status: Int?) -> Role {
        guard let status else { return .bad }
        switch status {
        case 200..<300: return .good
        case 429, 300..<400: return .warn
        default: return .bad
        }
    }
}

// MARK: - Dead letters

public struct DeadLetterState: Sendable {
    public var selection = ListSelection()
    public var marked: Set<Int64> = []
    public var filter = FilterField()
    public var detail: DetailView?

    public init() {}

    public func visible(_ jobs: [Job]) -> [Job] {
        filter.isEmpty ? jobs : jobs.filter(filter.filter.matches)
    }

    mutating func handle(_ key: Key, jobs: [Job], destination: DestinationID, page: Int) -> PaneOutcome {
        if filter.isEditing {
            filter.edit(key)
            selection = ListSelection()
            return .handled
        }
        if detail != nil {
            if detail!.handle(key, page: page + 2) { return .handled }
            if key == .escape || key == .character("q") || key == .left || key == .character("h") { detail = nil }
            return .handled
        }
        let shown = visible(jobs)
        if selection.handle(key, count: shown.count, page: page) { return .handled }
        let name = destination.displayName
        switch key {
        case .character("/"):
            filter.begin()
            return .handled
        case .character(" "):
            guard shown.indices.contains(selection.index) else { return .handled }
            let id = shown[selection.index].id
            if marked.contains(id) { marked.remove(id) } else { marked.insert(id) }
            selection.move(1, count: shown.count)
            return .handled
        case .enter:
            guard shown.indices.contains(selection.index) else { return .handled }
            detail = DetailView(title: "Dead letter \(shown[selection.index].id)", lines: Self.lines(shown[selection.index]),
                                eventIds: [shown[selection.index].eventId])
            return .handled
        case .character("r"), .character("x"):
            let ids = marked.isEmpty ? (shown.indices.contains(selection.index) ? [shown[selection.index].id] : []) : Array(marked).sorted()
            guard !ids.isEmpty else { return .say("No dead letters to act on.", .dim) }
            let filter = DeadLetterFilter(destination: destination.rawValue, ids: ids)
            let what = "\(ids.count) \(marked.isEmpty ? "selected" : "marked") dead letter\(ids.count == 1 ? "" : "s")"
            if key == .character("r") { return .confirm("Replay \(what) to \(name)? y/n", .replay(filter)) }
            return .confirm("Discard \(what) of \(name)? They cannot be recovered. y/n", .discard(filter))
        case .character("R"), .character("X"):
            guard !shown.isEmpty else { return .say("No dead letters to act on.", .dim) }
            let matching = filter.isEmpty
                ? DeadLetterFilter(destination: destination.rawValue, limit: 1_000_000)
                : DeadLetterFilter(destination: destination.rawValue, ids: shown.map(\.id))
            let what = filter.isEmpty ? "ALL dead letters" : "all \(shown.count) dead letters matching \"\(filter.text)\""
            if key == .character("R") { return .confirm("Replay \(what) of \(name)? y/n", .replay(matching)) }
            return .confirm("Discard \(what) of \(name)? They cannot be recovered. y/n", .discard(matching))
        case .escape where !marked.isEmpty:
            marked = []
            return .handled
        case .escape where !filter.text.isEmpty:
            filter.clear()
            return .handled
        default:
            return .ignored
        }
    }

    static func lines(_ job: Job) -> [StyledLine] {
        var lines: [StyledLine] = []
        lines.append(StyledLine("\(job.type.rawValue) for \(job.lane), messageId \(job.messageId), event \(job.eventId)"))
        var status = StyledLine("last status ", .dim)
        status.append(job.lastStatus.map(String.init) ?? "none", StatusRole.of(job.lastStatus))
        status.append("  after \(job.attempts) attempt\(job.attempts == 1 ? "" : "s")", .dim)
        if let deadAt = job.deadAt { status.append("  dead since \(Format.clock(deadAt))", .dim) }
        lines.append(status)
        lines.append(StyledLine(""))
        lines.append(StyledLine("Error", .title))
        for part in (job.lastError ?? "(none)").split(separator: "\n") { lines.append(StyledLine("  " + part, .error)) }
        lines.append(StyledLine("Last response", .title))
        lines += JSONLines.render(job.lastResponse ?? "", indent: "  ")
        return lines
    }
}

// MARK: - Preview

public struct PreviewState: Sendable {
    public var text = ""
    public var editing = false
    public var results: [PreviewResult] = []
    public var error: String?
    public var scroll = 0
    /// Which stored event `p` picks next (an index into the newest events).
    public var pickIndex = 0
    public var allDestinations = true

    public init() {}

    /// Takes an event's JSON, pretty-printed so it can be read and edited line by line.
    public mutating func load(_ text: String) {
        self.text = (try? JSONParser.parse(text)).map { JSONWriter.pretty($0) } ?? text
        editing = false
        results = []
        error = nil
        scroll = 0
    }

    mutating func handle(_ key: Key, events: [StoredEvent], page: Int) -> PaneOutcome {
        if editing {
            switch key {
            case .escape:
                editing = false
                return .commands([.preview(eventText: text)])
            case .enter: text.append("\n")
            case .tab: text.append("  ")
            case .backspace: if !text.isEmpty { text.removeLast() }
            case .control("u"): text = ""
            case .character(let c): text.append(c)
            default: break
            }
            return .handled
        }
        switch key {
        case .character("e"), .character("i"), .enter:
            editing = true
            return .handled
        case .character("p"):
            guard !events.isEmpty else { return .say("No stored events to pick yet.", .dim) }
            let event = events[pickIndex % events.count]
            pickIndex += 1
            return .previewEvent(event.payloadText)
        case .character("a"):
            allDestinations.toggle()
            return .handled
        case .down, .character("j"): scroll += 1
        case .up, .character("k"): scroll = max(0, scroll - 1)
        case .pageDown: scroll += page
        case .pageUp: scroll = max(0, scroll - page)
        default: return .ignored
        }
        return .handled
    }
}

// MARK: - Event tail

public struct EventsState: Sendable {
    public var selection = ListSelection()
    public var paused = false
    public var shown: [StoredEvent] = []
    public var detail: DetailView?

    public init() {}

    mutating func handle(_ key: Key, page: Int) -> PaneOutcome {
        if detail != nil {
            if detail!.handle(key, page: page + 2) { return .handled }
            switch key {
            case .escape, .character("q"), .left, .character("h"): detail = nil
            case .character("p"):
                if let event = shown.first(where: { "Event \($0.id)" == detail?.title }) { return .previewEvent(event.payloadText) }
            default: break
            }
            return .handled
        }
        if selection.handle(key, count: shown.count, page: page) {
            paused = paused || selection.index > 0
            return .handled
        }
        switch key {
        case .character("f"), .character(" "):
            paused.toggle()
            if !paused { selection = ListSelection() }
            return .handled
        case .enter:
            guard shown.indices.contains(selection.index) else { return .handled }
            let event = shown[selection.index]
            detail = DetailView(title: "Event \(event.id)", lines: JSONLines.render(event.payloadText))
            return .handled
        case .character("p"):
            guard shown.indices.contains(selection.index) else { return .handled }
            return .previewEvent(shown[selection.index].payloadText)
        default:
            return .ignored
        }
    }
}
