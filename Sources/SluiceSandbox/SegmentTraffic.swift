import Foundation
import SluiceSpec

/// Makes the calls a real app's users produce, shaped as segment-analytics-python sends them:
/// every message has `messageId`, `timestamp`, `context.library`, `integrations`, and a null
/// `anonymousId` beside the `userId`. A user identifies first (email, name, first and last
/// name, company, plan, createdAt, a nested address), then joins their company's group, then
/// tracks and views pages; a few users re-identify often. Deterministic for a given seed.
public struct SegmentTraffic: Sendable {
    public static let library: JSON = ["name": "analytics-python", "version": "2.3.3"]

    struct Company: Sendable {
        let groupId: String
        let name: String
        let domain: String
        let plan: String
        let monthlySpend: Int64
    }

    struct User: Sendable {
        let userId: String
        let firstName: String
        let lastName: String
        let email: String
        let company: Int
        let createdAt: String
        let city: (name: String, state: String, postalCode: String, country: String)
        /// Re-identifies on many of their calls, like an app that identifies on every page load.
        let frequentIdentifier: Bool
        var identified = false
        var grouped = false
    }

    static let companyNames = ["Acme Corp", "Globex", "Initech", "Umbrella Labs", "Hooli", "Stark Industries",
                               "Wayne Enterprises", "Soylent", "Vandelay Industries", "Wonka Foods", "Tyrell Systems", "Cyberdyne"]
    static let plans = ["free", "startup", "growth", "enterprise"]
    static let firstNames = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia",
                             "Edsger", "Hedy", "Donald", "Katherine", "John", "Annie", "Tim", "Joan", "Guido", "Sophie"]
    static let lastNames = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Ritchie", "Allen", "Thompson",
                            "Perlman", "Dijkstra", "Lamarr", "Knuth", "Johnson", "Backus", "Easley", "Berners-Lee", "Clarke", "Rossum", "Wilson"]
    static let cities: [(name: String, state: String, postalCode: String, country: String)] = [
        ("Oslo", "Oslo", "0150", "NO"), ("Austin", "TX", "78701", "US"), ("Lyon", "Auvergne-Rhône-Alpes", "69002", "FR"),
        ("Toronto", "ON", "M5H 2N2", "CA"), ("Melbourne", "VIC", "3000", "AU"), ("Porto", "Porto", "4000-322", "PT"),
    ]
    static let pages = ["Dashboard", "Reports", "Settings", "Billing", "Team", "Integrations"]
    static let features = ["export", "filters", "alerts", "sharing", "api"]

    private var random: SeededRandom
    private var companies: [Company] = []
    private var users: [User] = []

    /// - Parameters:
    ///   - userCount: how many distinct users the traffic comes from.
    ///   - seed: fixes every choice, ids included.
    public init(userCount: Int = 200, seed: UInt64? = nil) {
        random = seed.map(SeededRandom.init(seed:)) ?? .unseeded()
        companies = Self.companyNames.enumerated().map { index, name in
            let slug = name.lowercased().replacingOccurrences(of: " ", with: "")
            return Company(groupId: "grp_\(1000 + index)", name: name, domain: slug + ".example",
                           plan: Self.plans[index % Self.plans.count], monthlySpend: Int64(49 * (index % 5 + 1) * (index % 3 + 1)))
        }
        let start = Date(timeIntervalSince1970: 1_672_531_200)  // 2023-01-01
        users = (0..<max(1, userCount)).map { index in
            let first = Self.firstNames[index % Self.firstNames.count]
            let last = Self.lastNames[(index / Self.firstNames.count + index) % Self.lastNames.count]
            let company = index % Self.companyNames.count
            let domain = Self.companyNames[company].lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            return User(userId: "user_\(10_000 + index)", firstName: first, lastName: last,
                        email: "\(first.lowercased()).\(last.lowercased())\(index)@\(domain)", company: company,
                        createdAt: ISO8601.string(start.addingTimeInterval(Double(index) * 86_400 * 1.7)),
                        city: Self.cities[index % Self.cities.count], frequentIdentifier: index % 10 == 0)
        }
    }

    /// The next call from some user, stamped `timestamp`.
    public mutating func nextMessage(at timestamp: Date) -> JSONObject {
        let index = pickUser()
        let user = users[index]
        let draw = random.unit()
        if !user.identified || (user.frequentIdentifier && draw < 0.4) || draw < 0.08 {
            users[index].identified = true
            return identify(user, timestamp)
        }
        if !user.grouped || draw > 0.97 {
            users[index].grouped = true
            return group(user, timestamp)
        }
        return draw < 0.68 ? track(user, timestamp) : page(user, timestamp)
    }

    /// Frequent identifiers are drawn three times as often as the others.
    private mutating func pickUser() -> Int {
        if random.unit() < 0.25 {
            let hot = stride(from: 0, to: users.count, by: 10).map { $0 }
            return hot[Int(random.next() % UInt64(hot.count))]
        }
        return Int(random.next() % UInt64(users.count))
    }

    private mutating func envelope(_ type: String, _ user: User, _ timestamp: Date) -> JSONObject {
        [
            "integrations": [:],
            "anonymousId": .null,
            "timestamp": .string(ISO8601.string(timestamp)),
            "context": ["library": Self.library],
            "type": .string(type),
            "userId": .string(user.userId),
            "messageId": .string(uuid()),
        ]
    }

    private mutating func identify(_ user: User, _ timestamp: Date) -> JSONObject {
        let company = companies[user.company]
        var message = envelope("identify", user, timestamp)
        message["traits"] = [
            "email": .string(user.email),
            "name": .string(user.firstName + " " + user.lastName),
            "first_name": .string(user.firstName),
            "last_name": .string(user.lastName),
            "company": .string(company.name),
            "plan": .string(company.plan),
            "createdAt": .string(user.createdAt),
            "address": [
                "street": .string("\(10 + user.company) Main Street"), "city": .string(user.city.name),
                "state": .string(user.city.state), "postalCode": .string(user.city.postalCode), "country": .string(user.city.country),
            ],
            "logins": .int(Int64(1 + random.next() % 400)),
        ]
        return message
    }

    private mutating func group(_ user: User, _ timestamp: Date) -> JSONObject {
        let company = companies[user.company]
        var message = envelope("group", user, timestamp)
        message["groupId"] = .string(company.groupId)
        message["traits"] = [
            "name": .string(company.name),
            "plan": .string(company.plan),
            "monthlySpend": .int(company.monthlySpend),
            "website": .string("https://www." + company.domain),
        ]
        return message
    }

    private mutating func track(_ user: User, _ timestamp: Date) -> JSONObject {
        var message = envelope("track", user, timestamp)
        let choice = random.next() % 6
        let properties: JSONObject
        switch choice {
        case 0:
            message["event"] = "Signed In"
            properties = ["method": random.unit() < 0.7 ? "password" : "sso"]
        case 1:
            message["event"] = "Report Viewed"
            properties = ["report": .string(Self.pages[Int(random.next() % UInt64(Self.pages.count))]), "rows": .int(Int64(random.next() % 5000))]
        case 2:
            message["event"] = "Feature Used"
            properties = ["feature": .string(Self.features[Int(random.next() % UInt64(Self.features.count))])]
        case 3:
            message["event"] = "Order Completed"
            let cents = 500 + Int64(random.next() % 50_000)
            properties = ["orderId": .string("ord_" + random.hex(5)), "revenue": .double(Double(cents) / 100), "currency": "usd",
                          "products": .int(Int64(1 + random.next() % 4))]
        case 4:
            message["event"] = "Invoice Paid"
            let cents = 4_900 + Int64(random.next() % 90_000)
            properties = ["invoiceId": .string("in_" + random.hex(6)), "revenue": .double(Double(cents) / 100), "currency": "eur"]
        default:
            message["event"] = "Plan Upgraded"
            properties = ["from": "startup", "to": "growth"]
        }
        message["properties"] = .object(properties)
        return message
    }

    private mutating func page(_ user: User, _ timestamp: Date) -> JSONObject {
        var message = envelope("page", user, timestamp)
        let name = Self.pages[Int(random.next() % UInt64(Self.pages.count))]
        let path = "/app/" + name.lowercased()
        message["name"] = .string(name)
        message["category"] = "App"
        message["properties"] = ["path": .string(path), "url": .string("https://app.example" + path), "title": .string(name + " · Example"),
                                 "referrer": ""]
        return message
    }

    /// A version-4 UUID from the seeded generator.
    private mutating func uuid() -> String {
        var bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// `{"batch": [...], "sentAt", "writeKey"}`, the body of `POST /v1/batch`.
    public static func batchBody(_ messages: [JSONObject], sentAt: Date, writeKey: String) -> JSON {
        ["batch": .array(messages.map(JSON.object)), "sentAt": .string(ISO8601.string(sentAt)), "writeKey": .string(writeKey)]
    }
}
