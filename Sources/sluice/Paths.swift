import Foundation

enum Paths {
    /// `$XDG_DATA_HOME/sluice`, else `~/.local/share/sluice`.
    static var dataDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/sluice" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/sluice"
    }

    static var defaultDatabase: String { dataDirectory + "/sluice.sqlite" }
    static var defaultWriteKeyFile: String { dataDirectory + "/default-write-key" }

    /// The write key of the "default" source used when no sources are configured; created on
    /// first use, readable only by its owner.
    static func defaultWriteKey(create: Bool) throws -> String? {
        let path = defaultWriteKeyFile
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !key.isEmpty { return key }
        }
        guard create else { return nil }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(UInt8.random(in: 0...15, using: &generator), radix: 16) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(path); check that \(dataDirectory) is writable")
        }
        return key
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
