import Foundation
import SluiceServer
import SluiceSpec
import SluiceStore

/// `sluice serve`'s configuration file (JSON). Flags override it.
///
///     {
///       "server":   { "host": "127.0.0.1", "port": 8088 },
///       "database": { "path": "/var/lib/sluice/sluice.sqlite", "durability": "full" },
///       "sources":  [ { "name": "web", "writeKey": "..." } ]
///     }
struct ServerConfig {
    var host = "127.0.0.1"
    var port = 8088
    var databasePath: String?
    var durability: Durability = .full
    var sources: [Source] = []

    static func load(path: String) throws -> ServerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the config file \(path); check the path and its permissions")
        }
        let document: JSON
        do {
            document = try JSONParser.parse(Array(data))
        } catch {
            throw CLIError("\(path): invalid JSON: \(error.description)")
        }
        return try ServerConfig(json: document, origin: path)
    }

    init() {}

    init(json: JSON, origin: String) throws {
        guard case .object(let root) = json else { throw CLIError("\(origin): the config must be a JSON object") }
        try Self.checkKeys(root, allowed: ["server", "database", "sources"], at: "", origin: origin)
        if let server = root["server"] {
            guard case .object(let object) = server else { throw CLIError("\(origin): \"server\" must be an object") }
            try Self.checkKeys(object, allowed: ["host", "port"], at: "server.", origin: origin)
            if let host = object["host"] {
                guard let text = host.stringValue, !text.isEmpty else { throw CLIError("\(origin): server.host must be a non-empty string") }
                self.host = text
            }
            if let port = object["port"] {
                guard case .int(let number) = port, (0...65535).contains(number) else {
                    throw CLIError("\(origin): server.port must be an integer from 0 to 65535")
                }
                self.port = Int(number)
            }
        }
        if let database = root["database"] {
            guard case .object(let object) = database else { throw CLIError("\(origin): \"database\" must be an object") }
            try Self.checkKeys(object, allowed: ["path", "durability"], at: "database.", origin: origin)
            if let path = object["path"] {
                guard let text = path.stringValue, !text.isEmpty else { throw CLIError("\(origin): database.path must be a non-empty string") }
                databasePath = text
            }
            if let durability = object["durability"] {
                guard let text = durability.stringValue, let value = Durability(rawValue: text) else {
                    throw CLIError("\(origin): database.durability must be \"full\" or \"normal\"")
                }
                self.durability = value
            }
        }
        if let sources = root["sources"] {
            guard case .array(let items) = sources else { throw CLIError("\(origin): \"sources\" must be an array of {name, writeKey}") }
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item else { throw CLIError("\(origin): sources[\(index)] must be an object") }
                try Self.checkKeys(object, allowed: ["name", "writeKey"], at: "sources[\(index)].", origin: origin)
                guard let name = object["name"]?.stringValue, !name.isEmpty else {
                    throw CLIError("\(origin): sources[\(index)].name is required")
                }
                guard let key = object["writeKey"]?.stringValue, !key.isEmpty else {
                    throw CLIError("\(origin): sources[\(index)] (\(name)) needs a writeKey")
                }
                self.sources.append(Source(name: name, writeKey: key))
            }
        }
    }

    private static func checkKeys(_ object: JSONObject, allowed: [String], at prefix: String, origin: String) throws {
        for key in object.keys where !allowed.contains(key) {
            throw CLIError("\(origin): unknown setting \"\(prefix)\(key)\"; expected one of \(allowed.map { prefix + $0 }.joined(separator: ", "))")
        }
    }

    /// Rejects two sources sharing a name or a write key.
    static func validate(_ sources: [Source]) throws {
        var names = Set<String>(), keys = Set<String>()
        for source in sources {
            guard names.insert(source.name).inserted else { throw CLIError("two sources are named \"\(source.name)\"; names must be unique") }
            guard keys.insert(source.writeKey).inserted else { throw CLIError("sources \"\(source.name)\" and another share a write key; give each its own") }
        }
    }
}
