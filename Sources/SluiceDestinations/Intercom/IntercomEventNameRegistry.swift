import SluiceSpec

/// The event names Intercom has accepted from Sluice, kept in the destination's mapping state so
/// the 121st new name is skipped with a reason instead of spending a request on Intercom's 422
/// ("can't have more than 120 active events").
///
/// State keys: `intercom.eventName:<name>` → `true` for each accepted name, and
/// `intercom.eventNameCount` → how many there are. Names are recorded case-folded and trimmed,
/// because Intercom treats "Placed Order" and "placed order" as one event. Names an app sent
/// before Sluice, or archived in Intercom, are unknown here; Intercom's 422 still covers them.
struct IntercomEventNameRegistry {
    static let limit = 120
    static let countKey = "intercom.eventNameCount"

    let state: MappingState

    /// One event name's standing: whether Intercom already has it, and its state key.
    struct Entry {
        let name: String
        let key: String
        let isKnown: Bool
    }

    static func key(for name: String) -> String {
        // Names rarely need trimming, and trimming copies the string.
        let padded = name.first?.isWhitespace == true || name.last?.isWhitespace == true
        return "intercom.eventName:" + (padded ? CommonSettings.Values.trimmed(name) : name).lowercased()
    }

    func entry(for name: String) -> Entry {
        let key = Self.key(for: name)
        return Entry(name: name, key: key, isKnown: state.value(for: key) != nil)
    }

    var count: Int {
        guard case .int(let count)? = state.value(for: Self.countKey) else { return 0 }
        return Int(count)
    }

    /// Why the event must not be sent, or nil when it may.
    func refusal(for entry: Entry) -> String? {
        guard !entry.isKnown else { return nil }
        let known = count
        guard known >= Self.limit else { return nil }
        return "Intercom accepts only \(Self.limit) unique event names and \(known) are in use; \"\(entry.name)\" would be a new one"
    }

    /// Records a name Intercom accepted.
    func record(_ entry: Entry) {
        guard !entry.isKnown, state.value(for: entry.key) == nil else { return }
        state.setValue(true, for: entry.key)
        state.setValue(.int(Int64(count + 1)), for: Self.countKey)
    }
}
