import Foundation

extension Theme {
    static let fileExtension = ".theme"

    /// Loads a theme by name from the first search directory holding `<name>.theme`, or from a
    /// path when `name` contains `/` or ends in `.theme`. Never fails: a missing or broken file
    /// gives the built-in default and a warning saying why, so a bad theme cannot stop the
    /// console. "default" needs no file; a `default.theme` in a search directory overrides it.
    public static func load(named name: String, searchPaths: [String]) -> (theme: Theme, warning: String?) {
        if name.contains("/") || name.hasSuffix(fileExtension) {
            // `:theme ~/x.theme` typed inside the console gets no shell to expand the tilde.
            let path = NSString(string: name).expandingTildeInPath
            guard isFile(path) else {
                return (builtInDefault, "theme file \"\(path)\" not found")
            }
            let fileName = URL(fileURLWithPath: path).lastPathComponent
            let themeName = fileName.hasSuffix(fileExtension) ? String(fileName.dropLast(fileExtension.count)) : fileName
            return load(file: path, themeName: themeName)
        }
        for directory in searchPaths {
            let path = file(named: name, in: directory)
            if isFile(path) { return load(file: path, themeName: name) }
        }
        if name == builtInDefault.name { return (builtInDefault, nil) }
        let searched = searchPaths.isEmpty ? " (no theme directories to search)" : " in " + searchPaths.joined(separator: ", ")
        let available = available(in: searchPaths).joined(separator: ", ")
        return (builtInDefault, "no theme named \"\(name)\"\(searched); available: \(available)")
    }

    /// Names of the themes in `searchPaths` plus "default", which is always there.
    public static func available(in searchPaths: [String]) -> [String] {
        var names: Set<String> = [builtInDefault.name]
        for directory in searchPaths {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for entry in entries where entry.hasSuffix(fileExtension) && !entry.hasPrefix(".") {
                let name = String(entry.dropLast(fileExtension.count))
                if !name.isEmpty, isFile(file(named: name, in: directory)) { names.insert(name) }
            }
        }
        return names.sorted()
    }

    /// Where themes are looked for, in order: `$SLUICE_THEMES` (a `:`-separated list), the
    /// user's config directory, `./themes`, and the `themes` folder of the installation, found
    /// by walking up from the executable (so `.build/debug/sluice` finds the repository's).
    public static func defaultSearchPaths(environment: [String: String], executablePath: String?) -> [String] {
        var paths: [String] = []
        if let override = environment["SLUICE_THEMES"], !override.isEmpty {
            paths += override.split(separator: ":").map(String.init)
        }
        if let configHome = environment["XDG_CONFIG_HOME"], configHome.hasPrefix("/") {
            paths.append(join(configHome, "sluice/themes"))
        } else if let home = environment["HOME"], !home.isEmpty {
            paths.append(join(home, ".config/sluice/themes"))
        }
        paths.append("./themes")
        if let executablePath, let installed = themesFolder(above: executablePath) {
            paths.append(installed)
        }
        var seen: Set<String> = []
        return paths.filter { seen.insert(canonical($0)).inserted }
    }

    private static func load(file path: String, themeName: String) -> (theme: Theme, warning: String?) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return (builtInDefault, "\(path): cannot read the theme file (is it UTF-8 text?)")
        }
        do {
            return (try parse(text, name: themeName, file: path), nil)
        } catch {
            return (builtInDefault, error.description)
        }
    }

    private static func themesFolder(above executablePath: String) -> String? {
        var directory = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0...5 {
            let candidate = directory.appendingPathComponent("themes")
            if isDirectory(candidate.path) { return candidate.path }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return nil
    }

    private static func file(named name: String, in directory: String) -> String {
        join(directory, name + fileExtension)
    }

    private static func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
