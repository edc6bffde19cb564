import SluiceSpec

/// Help Scout, as its Segment doc describes it: only `identify` is used, and it needs an email
/// (the `userId` or `traits.email`). Customers are found by email, then updated or created.
public enum HelpScout: Destination {
    public typealias Settings = HelpScoutSettings

    public static let id = DestinationID.helpscout
    public static let defaultBaseURL = "https://api.helpscout.net"
    /// Inbox API 2.0: 200 requests a minute per account, and a burst limit of 12 writes in 5 s.
    public static let documentedRateLimits = [
        RateLimitWindow(key: "perMinute", label: "requests per minute", limit: 200, seconds: 60),
        RateLimitWindow(key: "writesPer5Seconds", label: "write requests per 5 seconds", limit: 12, seconds: 5, writesOnly: true),
    ]
    public static let supportedTypes: Set<EventType> = [.identify]

    public static func map(_ event: Event, settings: HelpScoutSettings, context: MappingContext) async throws -> MappingOutcome {
        switch event.type {
        case .identify: return try await identify(event, settings: settings, context: context)
        case .track, .page, .screen, .group, .alias: return .skipped(reason: unsupportedCallReason(event.type))
        }
    }

    /// Calls about one email must not run concurrently, or two identifies for a new email create
    /// two customers; the engine can order Help Scout work by this key.
    public static func serializationKey(for event: Event) -> String? {
        HelpScoutCustomer.email(userId: event.userId, traits: event.traits)?.lowercased()
    }

    /// Finds the customer (the id remembered for the email, else a search taking the first
    /// match as Segment's integration did) and updates it, or creates one and remembers its id.
    ///
    /// An update touches only what the traits carry: `PUT /v2/customers/{id}` overwrites the
    /// customer entity, so it is sent with the current record's values under the traits' ones
    /// (and skipped when nothing changes); emails, phones and websites the customer lacks are
    /// added through their sub-resources; the address is put; properties are patched.
    static func identify(_ event: Event, settings: HelpScoutSettings, context: MappingContext) async throws -> MappingOutcome {
        let traits = event.traits
        guard let email = HelpScoutCustomer.email(userId: event.userId, traits: traits) else {
            return .skipped(reason: "Help Scout needs an email")
        }
        let customer = HelpScoutCustomer(email: email, traits: traits)
        let api = HelpScoutAPI(settings: settings, context: context)
        let cacheKey = customerStateKey(email: email)
        var notes = customer.notes

        // Help Scout's search can lag behind a create; the remembered id makes a second identify
        // for a new email an update rather than a second customer.
        if let rememberedId = context.state.value(for: cacheKey)?.scalarText {
            if let current = try await api.customer(id: rememberedId) {
                notes += try await update(customer, id: rememberedId, current: current, api: api)
                return .delivered(notes: notes)
            }
            context.state.setValue(nil, for: cacheKey)
            notes.append("customer \(rememberedId), remembered for \(email), no longer exists; searched again")
        }

        let matches = try await api.searchCustomers(email: email)
        if let match = matches.first, let id = match["id"]?.scalarText {
            if matches.count > 1 {
                notes.append("\(matches.count) Help Scout customers have the email \(email); updated the first (\(id)), as Segment's integration did")
            }
            context.state.setValue(.string(id), for: cacheKey)
            // Search results may leave out fields the overwrite would then clear: read the full record.
            let current = customer.needsCurrentRecord ? try await api.customer(id: id) ?? match : match
            notes += try await update(customer, id: id, current: current, api: api)
            return .delivered(notes: notes)
        }

        if let id = try await api.createCustomer(customer.createBody) {
            context.state.setValue(.string(id), for: cacheKey)
            notes.append("created customer \(id)")
        } else {
            notes.append("created a customer, but Help Scout returned no id; the next identify will search for it")
        }
        return .delivered(notes: notes)
    }

    /// The writes that bring customer `id` up to date; returns a note saying what happened.
    private static func update(_ customer: HelpScoutCustomer, id: String, current: JSONObject, api: HelpScoutAPI) async throws -> [String] {
        var writes = 0
        if let body = customer.overwriteBody(current: current) {
            try await api.overwriteCustomer(id: id, body)
            writes += 1
        }
        for email in customer.emailsToAdd(current: current) {
            try await api.addEmail(customerId: id, email)
            writes += 1
        }
        for phone in customer.phonesToAdd(current: current) {
            try await api.addPhone(customerId: id, phone)
            writes += 1
        }
        for website in customer.websitesToAdd(current: current) {
            try await api.addWebsite(customerId: id, website)
            writes += 1
        }
        if let address = customer.addressToPut(current: current) {
            try await api.putAddress(customerId: id, address)
            writes += 1
        }
        if let operations = customer.propertiesPatch {
            try await api.patchProperties(customerId: id, operations)
            writes += 1
        }
        return [writes == 0 ? "customer \(id) already up to date" : "updated customer \(id)"]
    }

    static func customerStateKey(email: String) -> String { "helpscout.customer." + email.lowercased() }
}

extension HelpScoutCustomer {
    /// Whether updating needs the customer's current record (to merge the overwrite, or to add
    /// only missing sub-resources); properties alone do not.
    var needsCurrentRecord: Bool {
        !core.isEmpty || emails.count > 1 || !phones.isEmpty || !websites.isEmpty || address != nil
    }
}
