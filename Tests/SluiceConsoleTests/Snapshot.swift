import Foundation
import Testing
@testable import SluiceConsole

/// Text snapshots of screens, kept in `Snapshots/`. Run with SNAPSHOT_RECORD=1 to (re)write
/// them after an intended change, then review the diff before committing.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static let recording = ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] == "1"

    static func render(_ dashboard: inout Dashboard, cols: Int, rows: Int, unicode: Bool = true) -> Grid {
        let grid = Grid(size: Size(rows: rows, cols: cols), unicode: unicode)
        DashboardView.render(&dashboard, into: grid)
        return grid
    }

    static func check(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = directory.appendingPathComponent(name + ".txt")
        let actual = text + "\n"
        if recording {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try? actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt; run the tests with SNAPSHOT_RECORD=1 to record it", sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var report: [String] = []
        for index in 0..<max(expectedLines.count, actualLines.count) where report.count < 12 {
            let e = index < expectedLines.count ? String(expectedLines[index]) : "<none>"
            let a = index < actualLines.count ? String(actualLines[index]) : "<none>"
            if e != a { report.append("line \(index + 1)\n  expected: \(e)\n  actual:   \(a)") }
        }
        Issue.record("snapshot \(name) differs:\n\(report.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}
