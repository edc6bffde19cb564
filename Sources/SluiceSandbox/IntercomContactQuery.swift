import SluiceSpec

/// A parsed `POST /contacts/search` query: single clauses `{field, operator, value}` and
/// `{operator: "AND"|"OR", value: [clauses]}`, nested as Intercom allows.
indirect enum ContactPredicate: Sendable {
    case clause(field: String, operator: String, value: JSON)
    case all([ContactPredicate])
    case any([ContactPredicate])

    struct Problem: Error {
        let message: String
    }

    static let operators: Set<String> = ["=", "!=", "IN", "NIN", "<", ">", "~", "!~", "^", "$"]

    static func parse(_ json: JSON) -> Result<ContactPredicate, Problem> {
        guard let object = json.objectValue else { return .failure(Problem(message: "query must be an object")) }
        guard let op = object["operator"]?.stringValue else { return .failure(Problem(message: "query needs an operator")) }
        if op == "AND" || op == "OR" {
            guard let items = object["value"]?.arrayValue, !items.isEmpty else {
                return .failure(Problem(message: "\(op) needs an array of queries as its value"))
            }
            var parts: [ContactPredicate] = []
            for item in items {
                switch parse(item) {
                case .success(let part): parts.append(part)
                case .failure(let problem): return .failure(problem)
                }
            }
            return .success(op == "AND" ? .all(parts) : .any(parts))
        }
        guard operators.contains(op) else { return .failure(Problem(message: "Unsupported operator \(op)")) }
        guard let field = object["field"]?.stringValue, !field.isEmpty else { return .failure(Problem(message: "query needs a field")) }
        guard let value = object["value"] else { return .failure(Problem(message: "query needs a value")) }
        if (op == "IN" || op == "NIN"), value.arrayValue == nil { return .failure(Problem(message: "\(op) needs an array value")) }
        return .success(.clause(field: field, operator: op, value: value))
    }

    func matches(_ contact: JSONObject) -> Bool {
        switch self {
        case .all(let parts): return parts.allSatisfy { $0.matches(contact) }
        case .any(let parts): return parts.contains { $0.matches(contact) }
        case .clause(let field, let op, let value):
            let actual = Self.lookup(field, in: contact)
            let caseless = field == "email"
            switch op {
            case "=": return Self.equal(actual, value, caseless: caseless)
            case "!=": return !Self.equal(actual, value, caseless: caseless)
            case "IN": return value.arrayValue?.contains { Self.equal(actual, $0, caseless: caseless) } ?? false
            case "NIN": return !(value.arrayValue?.contains { Self.equal(actual, $0, caseless: caseless) } ?? false)
            case "<", ">":
                guard let left = actual?.numberValue, let right = value.numberValue else { return false }
                return op == "<" ? left < right : left > right
            default:
                guard let text = actual?.scalarText?.lowercased(), let wanted = value.scalarText?.lowercased() else { return false }
                switch op {
                case "~": return text.contains(wanted)
                case "!~": return !text.contains(wanted)
                case "^": return text.hasPrefix(wanted)
                default: return text.hasSuffix(wanted)
                }
            }
        }
    }

    /// `custom_attributes.plan` reaches into the custom attributes.
    private static func lookup(_ field: String, in contact: JSONObject) -> JSON? {
        if field.hasPrefix("custom_attributes.") {
            return contact["custom_attributes"]?[String(field.dropFirst("custom_attributes.".count))]
        }
        return contact[field]
    }

    private static func equal(_ actual: JSON?, _ wanted: JSON, caseless: Bool) -> Bool {
        guard let actual, !actual.isNull else { return wanted.isNull }
        if let a = actual.numberValue, let b = wanted.numberValue { return a == b }
        guard let a = actual.scalarText, let b = wanted.scalarText else { return false }
        return caseless ? a.lowercased() == b.lowercased() : a == b
    }
}
