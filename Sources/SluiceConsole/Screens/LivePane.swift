import SluiceDestinations
import SluiceStore

/// Delivered per second over five minutes, totals, queue, latency and skip reasons.
enum LivePane {
    static func draw(_ dashboard: Dashboard, on surface: Surface) {
        let data = dashboard.data
        let id = dashboard.selected
        let history = data.stats[id] ?? []
        let nowSecond = data.now / 1000
        // One value per second, zero where the engine wrote nothing, ending with the last full second.
        var bySecond: [Int64: StatsSecond] = [:]
        for second in history { bySecond[second.second] = second }
        let series = (nowSecond - ConsoleData.historySeconds..<nowSecond).map { bySecond[$0]?.delivered ?? 0 }
        let current = DashboardView.lastFullSecond(history, now: data.now)
        let peak = series.max() ?? 0

        let summary = "now \(current?.delivered ?? 0)/s  peak \(peak)/s"
        surface.text(summary, row: 0, col: surface.width - summary.count - 1, role: .text)
        surface.clipped("Delivered per second, last 5 minutes", row: 0, col: 1, width: surface.width - summary.count - 4, role: .header)
        let sparkHeight = surface.height >= 36 ? 8 : 3
        Sparkline.draw(series, on: surface.sub(row: 1, col: 1, height: sparkHeight, width: surface.width - 2))

        var row = sparkHeight + 2
        let total = { (value: (StatsSecond) -> Int) in Format.count(history.reduce(0) { $0 + value($1) }) }
        surface.text("Totals, last 5 minutes", row: row, col: 1, role: .header)
        row += 1
        pairs([("received", total(\.received), .text), ("delivered", total(\.delivered), .good), ("skipped", total(\.skipped), .text)],
              on: surface, row: row)
        row += 1
        let failed = history.reduce(0) { $0 + $1.failed }
        let dead = history.reduce(0) { $0 + $1.deadLettered }
        pairs([("retried", total(\.retried), .text), ("failed", Format.count(failed), failed > 0 ? .bad : .text),
               ("dead-lettered", Format.count(dead), dead > 0 ? .bad : .text)], on: surface, row: row)
        row += 2

        let latest = history.last
        surface.text("Queue", row: row, col: 1, role: .header)
        row += 1
        pairs([("depth", Format.count(latest?.queueDepth ?? 0), .text),
               ("oldest", Format.duration(ms: latest?.oldestQueuedMs ?? 0), (latest?.oldestQueuedMs ?? 0) > 60_000 ? .warn : .text),
               ("in flight", Format.count(latest?.inFlight ?? 0), .text),
               ("dead now", Format.count(data.deadLetterCounts[id] ?? 0), (data.deadLetterCounts[id] ?? 0) > 0 ? .bad : .text)],
              on: surface, row: row)
        row += 2

        let timed = history.last { $0.delivered > 0 || $0.failed > 0 }
        surface.text("Latency" + (timed.map { " (second ending \(Format.clock(($0.second + 1) * 1000)))" } ?? ""), row: row, col: 1, role: .header)
        row += 1
        pairs([("p50", Format.milliseconds(timed?.p50Ms ?? 0), .text), ("p95", Format.milliseconds(timed?.p95Ms ?? 0), .text),
               ("p99", Format.milliseconds(timed?.p99Ms ?? 0), .text)], on: surface, row: row)
        row += 2

        surface.text("Skipped, by reason (since start)", row: row, col: 1, role: .header)
        row += 1
        let reasons = data.skipReasons[id] ?? []
        if reasons.isEmpty { surface.text("nothing skipped", row: row, col: 3, role: .dim) }
        for reason in reasons where row < surface.height {
            let count = Format.padLeft(Format.count(reason.count), 8)
            surface.text(count, row: row, col: 1, role: .text)
            surface.clipped(reason.reason, row: row, col: 11, width: surface.width - 12, role: .dim)
            row += 1
        }
    }

    /// `label value` pairs in columns of equal width.
    static func pairs(_ items: [(String, String, Role)], on surface: Surface, row: Int) {
        let width = max(1, (surface.width - 2) / max(1, items.count))
        for (index, item) in items.enumerated() {
            let col = 1 + index * width
            let next = surface.text(item.0 + " ", row: row, col: col, role: .dim)
            surface.clipped(item.1, row: row, col: next, width: max(1, col + width - next - 1), role: item.2)
        }
    }
}

/// Each rate-limit window's gauge: documented limit, the operator's, what the API reports left,
/// the reset countdown, recent 429s and whether the engine is holding back.
enum HeadroomPane {
    static func draw(_ dashboard: Dashboard, on surface: Surface) {
        let data = dashboard.data
        let id = dashboard.selected
        let snapshots = (data.rateLimits[id] ?? []).sorted { $0.window < $1.window }
        var row = 0
        if snapshots.isEmpty {
            surface.clipped("No headroom published yet: the engine reports it once it sends to \(id.displayName).", row: row, col: 1, width: surface.width - 2, role: .dim)
            row += 2
            surface.text("Configured limits", row: row, col: 1, role: .header)
            row += 1
            for window in Destinations.rateLimits(of: id, in: data.settings) {
                surface.clipped("\(Format.count(window.limit)) \(window.label)", row: row, col: 3, width: surface.width - 4)
                row += 1
            }
            return
        }
        for snapshot in snapshots where row + 3 < surface.height {
            surface.clipped(snapshot.label, row: row, col: 1, width: surface.width - 20, role: .header)
            let recent = "429s recently: \(snapshot.recent429s)"
            surface.text(recent, row: row, col: surface.width - recent.count - 1, role: snapshot.recent429s > 0 ? .bad : .dim)
            row += 1
            let limit = snapshot.headerLimit ?? snapshot.operatorLimit
            var facts = "documented \(Format.count(snapshot.documentedLimit))  yours \(Format.count(snapshot.operatorLimit))"
            facts += snapshot.headerLimit.map { "  API says \(Format.count($0))" } ?? "  API sent no limit header"
            surface.clipped(facts, row: row, col: 3, width: surface.width - 4, role: .dim)
            row += 1
            let remaining = snapshot.remaining ?? limit
            let reset = snapshot.resetAt.map { max(0, $0 - data.now) }
            let label = "\(Format.count(remaining)) of \(Format.count(limit)) left" + (reset.map { ", resets in \(Format.duration(ms: $0))" } ?? "")
            let gaugeWidth = max(10, surface.width - label.count - 7)
            let low = limit > 0 && Double(remaining) / Double(limit) < 0.1
            Gauge.draw(used: limit - remaining, total: limit, on: surface, row: row, col: 3, width: gaugeWidth, fill: low ? .warn : .gaugeFill)
            surface.clipped(label, row: row, col: gaugeWidth + 5, width: surface.width - gaugeWidth - 6, role: low ? .warn : .text)
            row += 2
        }
        let throttled = snapshots.compactMap { snapshot -> (RateLimitSnapshot, Millis)? in
            if let until = snapshot.throttledUntil, until > data.now { return (snapshot, until) }
            if snapshot.remaining == 0, let reset = snapshot.resetAt, reset > data.now { return (snapshot, reset) }
            return nil
        }
        row = min(row, surface.height - 1)
        if let (snapshot, until) = throttled.max(by: { $0.1 < $1.1 }) {
            let why = snapshot.recent429s > 0 && snapshot.remaining != 0 ? "paused after a 429" : "holding back: \(snapshot.label) is used up"
            surface.clipped("Throttling: \(why), sending again in \(Format.duration(ms: until - data.now))", row: row, col: 1, width: surface.width - 2, role: .warn)
        } else {
            surface.text("Throttling: none, sending freely", row: row, col: 1, role: .good)
        }
    }
}
