import Foundation

/// htop-style meters: a sparkline of a series and a horizontal gauge.
public enum Sparkline {
    /// Draws `values` (oldest first) into `surface`, `height` rows tall, scaled to the largest
    /// value. When there are more values than columns, each column shows its bucket's mean.
    public static func draw(_ values: [Int], on surface: Surface, role: Role = .sparkline) {
        guard surface.width > 0, surface.height > 0 else { return }
        let columns = bucket(values, into: surface.width)
        let peak = max(1, columns.max() ?? 0)
        let levels = surface.glyphs.sparks.count - 1
        let total = levels * surface.height
        let offset = surface.width - columns.count
        for (index, value) in columns.enumerated() {
            let filled = value > 0 ? max(1, Int((Double(value) / Double(peak) * Double(total)).rounded())) : 0
            for row in 0..<surface.height {
                let fromBottom = surface.height - 1 - row
                let level = min(levels, max(0, filled - fromBottom * levels))
                surface.text(String(surface.glyphs.sparks[level]), row: row, col: offset + index, role: role)
            }
        }
    }

    /// Averages `values` into at most `count` buckets, keeping the newest value in the last one.
    public static func bucket(_ values: [Int], into count: Int) -> [Int] {
        guard count > 0, values.count > count else { return values }
        let size = Double(values.count) / Double(count)
        return (0..<count).map { index in
            let start = Int((Double(index) * size).rounded(.down))
            let end = max(start + 1, Int((Double(index + 1) * size).rounded(.down)))
            let slice = values[start..<min(end, values.count)]
            return Int((Double(slice.reduce(0, +)) / Double(slice.count)).rounded())
        }
    }
}

public enum Gauge {
    /// A bar `used` of `total`, full cells in `fill`, the rest in `empty`.
    public static func draw(used: Int, total: Int, on surface: Surface, row: Int, col: Int = 0, width: Int,
                            fill: Role = .gaugeFill, empty: Role = .gaugeEmpty) {
        guard width > 0 else { return }
        let ratio = total > 0 ? min(1, max(0, Double(used) / Double(total))) : 0
        let filled = Int((ratio * Double(width)).rounded())
        let g = surface.glyphs
        surface.text(String(repeating: g.gaugeFull, count: filled), row: row, col: col, role: fill)
        surface.text(String(repeating: g.gaugeEmpty, count: width - filled), row: row, col: col + filled, role: empty)
    }
}

/// Number and time formats the screens share.
public enum Format {
    public static func count(_ value: Int) -> String {
        let sign = value < 0 ? "-" : ""
        var digits = String(abs(value))
        var groups: [String] = []
        while digits.count > 3 {
            groups.insert(String(digits.suffix(3)), at: 0)
            digits.removeLast(3)
        }
        groups.insert(digits, at: 0)
        return sign + groups.joined(separator: ",")
    }

    public static func milliseconds(_ value: Double) -> String {
        if value >= 10_000 { return String(format: "%.0f s", value / 1000) }
        if value >= 1000 { return String(format: "%.1f s", value / 1000) }
        if value >= 10 { return String(format: "%.0f ms", value) }
        return String(format: "%.1f ms", value)
    }

    public static func duration(ms: Int64) -> String {
        let seconds = ms / 1000
        if ms < 1000 { return "\(ms) ms" }
        if seconds < 60 { return String(format: "%.1f s", Double(ms) / 1000) }
        if seconds < 3600 { return "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3600)h\(String(format: "%02d", (seconds % 3600) / 60))m" }
        return "\(seconds / 86_400)d\(String(format: "%02d", (seconds % 86_400) / 3600))h"
    }

    /// HH:MM:SS in UTC, so snapshots do not depend on the machine's zone.
    public static func clock(_ millis: Int64) -> String {
        let seconds = (millis / 1000) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, (seconds % 3600) / 60, seconds % 60)
    }

    public static func pad(_ text: String, _ width: Int) -> String {
        let fitted = Surface.fit(text, width: width)
        let used = fitted.reduce(0) { $0 + Grid.width(of: $1) }
        return fitted + String(repeating: " ", count: max(0, width - used))
    }

    public static func padLeft(_ text: String, _ width: Int) -> String {
        let used = text.reduce(0) { $0 + Grid.width(of: $1) }
        return String(repeating: " ", count: max(0, width - used)) + text
    }
}
