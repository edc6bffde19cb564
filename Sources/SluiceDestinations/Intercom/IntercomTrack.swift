import Foundation
import SluiceSpec

extension Intercom {
    /// track: `POST /events` with the name, time, user and metadata. Intercom answers 202 with an
    /// empty body.
    static func track(_ event: Event, settings: IntercomSettings, context: MappingContext) async throws -> MappingOutcome {
        guard let name = event.event, !name.isEmpty else {
            return .skipped(reason: "a track call needs an event name")
        }
        guard let user = IntercomEventBody.user(event) else {
            return .skipped(reason: "Intercom attaches events to known users: the call needs a userId or an email")
        }
        let registry = IntercomEventNameRegistry(state: context.state)
        let registration = registry.entry(for: name)
        if let refusal = registry.refusal(for: registration) { return .skipped(reason: refusal) }
        let body = IntercomEventBody.make(event: event, name: name, user: user, settings: settings, now: context.now)
        try await context.sendExpectingSuccess(IntercomAPI(settings: settings).request(.POST, "/events", body.body))
        registry.record(registration)
        return .delivered(notes: body.notes)
    }
}

/// The body of `POST /events`, built from the call alone.
enum IntercomEventBody {
    /// Intercom shows only this many metadata entries per event.
    static let shownProperties = 5

    /// `user_id` from the userId, else `email` from the properties or the context's traits.
    static func user(_ event: Event) -> (key: String, value: String)? {
        if let userId = event.userId { return ("user_id", userId) }
        let email = event.properties["email"]?.stringValue ?? event.context["traits"]?["email"]?.stringValue
        guard let email, !email.isEmpty else { return nil }
        return ("email", email)
    }

    static func make(event: Event, name: String, user: (key: String, value: String), settings: IntercomSettings, now: Date)
        -> (body: JSONObject, notes: [String])
    {
        var body = JSONObject(minimumCapacity: 4)
        body.appendUnique("event_name", .string(name))
        body.appendUnique("created_at", .int(IntercomValues.eventSeconds(event) ?? IntercomValues.unixSeconds(now)))
        body.appendUnique(user.key, .string(user.value))
        let metadata = self.metadata(event.properties, settings: settings)
        if !metadata.value.isEmpty { body.appendUnique("metadata", .object(metadata.value)) }
        return (body, metadata.notes)
    }

    /// Properties as metadata: `revenue` (with `currency`) becomes the Monetary Amount `price`
    /// in its place, Rich Link properties stay objects, other nested values follow the settings.
    static func metadata(_ properties: JSONObject, settings: IntercomSettings) -> (value: JSONObject, notes: [String]) {
        var writer = IntercomFlatWriter(settings: settings, richLinks: true, expectedCount: properties.count)
        var notes: [String] = []
        let price = self.price(properties)
        for property in properties {
            if let price {
                switch property.key {
                case "revenue":
                    writer.appendAsIs("price", price)
                    continue
                case "currency":
                    continue
                case "price":
                    notes.append("property price \(property.value.description.prefix(40)) replaced by the Monetary Amount built from revenue")
                    continue
                default:
                    break
                }
            }
            writer.append(property.key, property.value)
        }
        let metadata = writer.finish()
        if metadata.count > shownProperties {
            let hidden = metadata.keys.dropFirst(shownProperties)
            notes.append("Intercom shows only the first \(shownProperties) event properties; not shown: \(hidden.joined(separator: ", "))")
        }
        return (metadata, notes)
    }

    /// Intercom's Monetary Amount from `revenue`: integer cents (rounded, so 19.99 is 1999 and
    /// not 1998) and `currency`, default "usd". Nil when there is no usable revenue.
    static func price(_ properties: JSONObject) -> JSON? {
        guard let revenue = IntercomValues.number(properties["revenue"]) else { return nil }
        let cents = (revenue * 100).rounded()
        guard abs(cents) < 9e15 else { return nil }
        let currency = properties["currency"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "usd"
        return ["amount": .int(Int64(cents)), "currency": .string(currency)]
    }
}
