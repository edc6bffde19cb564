import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import SluiceStore
import Testing

/// Sustained load against the sandbox's enforced limits: no 429s, at least 95 % of what the
/// limits allow, and a limit lowered mid-run is followed within one window. Limits are scaled
/// ×4 on both sides to keep the run short; the windows keep their real lengths (5 s, 10 s).
extension SandboxAcceptance {
@Suite(.serialized) struct RateLimitDeliveryTests {
    @Test func helpScoutAndIntercomRunAtTheirLimitsWithoutA429() async throws {
        let scale = 4.0
        let rig = try await SandboxRig.start(scale: scale, enabled: [.helpscout, .intercom])
        defer { Task { await rig.stop() } }
        var calls: [JSON] = []
        for n in 0..<800 {
            calls.append(call("identify", "hs-\(n)", "hs-\(n)", ["traits": ["email": .string("hs-\(n)@example.com"), "name": "Help Scout User"],
                                                                  "integrations": ["All": false, "Help Scout": true]]))
        }
        for n in 0..<2_000 {
            calls.append(call("identify", "ic-\(n)", "ic-\(n)", ["traits": ["email": .string("ic-\(n)@example.com")],
                                                                  "integrations": ["All": false, "Intercom": true]]))
        }
        try await ingest(rig.store, calls)
        let engine = try await rig.engine(maxInFlight: 64) { $0.attemptRingSize = 50_000 }
        let task = Task { try await engine.run() }
        defer { task.cancel() }

        // Start measuring at the next 10 s boundary, so both destinations have whole windows.
        let start = (Date().timeIntervalSince1970 / 10).rounded(.up) * 10
        let lowerAt = start + 20
        let end = start + 40
        while Date().timeIntervalSince1970 < lowerAt { try await Task.sleep(for: .milliseconds(20)) }
        rig.sandbox.setLimit(83, window: "10s", for: .intercom)  // halve Intercom's limit mid-run
        while Date().timeIntervalSince1970 < end { try await Task.sleep(for: .milliseconds(50)) }
        // A delivery's records are written when it finishes: an identify whose search went out
        // before `end` but whose create waited for the next window finishes after `end`.
        try await Task.sleep(for: .milliseconds(2_500))

        let helpScout = try await rig.store.attempts(destination: "helpscout", limit: 50_000, beforeId: nil)
        let intercom = try await rig.store.attempts(destination: "intercom", limit: 50_000, beforeId: nil)
        func windows(_ records: [AttemptRecord], seconds: Double, from: Double, to: Double,
                     countedAt: (AttemptRecord) -> Double = { Double($0.at) / 1000 }, _ include: (AttemptRecord) -> Bool) -> [Int] {
            var counts = [Int](repeating: 0, count: Int((to - from) / seconds))
            for record in records where include(record) {
                let at = countedAt(record)
                guard at >= from, at < to else { continue }
                counts[Int((at - from) / seconds)] += 1
            }
            return counts
        }
        // Help Scout: 12 × 4 writes per 5 s over six windows. Each identify also reads, so the
        // per-minute limit (800) binds after about 41 s of full speed: the six windows end
        // sooner, because the engine starts at most 10 s before them.
        // Counted in the window the sandbox counted each write in, its customer's createdAt: an
        // engine started just before `start` may send a window's writes before the boundary that
        // land after it, and then rightly sends fewer in window 0.
        let created = rig.objects(.helpscout, "customers").compactMap { $0["createdAt"]?.stringValue }.compactMap(Self.parseSeconds)
        var writes = [Int](repeating: 0, count: 6)
        for at in created where at >= start && at < start + 30 { writes[Int((at - start) / 5)] += 1 }
        #expect(helpScout.filter { $0.status == 429 }.isEmpty, "Help Scout 429s: \(rig.sandbox.stats(for: .helpscout).rateLimited.count)")
        // What a failure needs to be read: every window, and when each kind of request went out.
        let helpScoutTrace = Dictionary(grouping: helpScout) { "\($0.method) \($0.status.map(String.init) ?? "-")" }
            .map { kind, records in
                let times = records.map { Double($0.at) / 1000 - start }
                return "\(kind): \(records.count), sent from \(times.min() ?? 0) s to \(times.max() ?? 0) s"
            }.sorted().joined(separator: "; ")
        for (index, count) in writes.enumerated() {
            #expect(count >= 46 && count <= 48, "Help Scout window \(index): \(count) of 48 writes; all \(writes); \(helpScoutTrace)")
        }
        // Intercom: 166 × 4 per 10 s, then 83 × 4 from the third window on.
        // Counted in the window the sandbox counted each request in, which its X-RateLimit-Reset
        // names: a request sent just before a boundary may arrive after it.
        let countedAt = { (record: AttemptRecord) -> Double in
            record.responseHeaders.first { $0.0 == "X-RateLimit-Reset" }.flatMap { Double($0.1) }.map { $0 - 10 } ?? Double(record.at) / 1000
        }
        let requests = windows(intercom, seconds: 10, from: start, to: end, countedAt: countedAt) { $0.status != 429 }
        let throttled = windows(intercom, seconds: 10, from: start, to: end, countedAt: countedAt) { $0.status == 429 }
        #expect(requests.count == 4)
        #expect(requests[0] >= 631 && requests[0] <= 664, "Intercom window 0: \(requests[0]) of 664")
        #expect(requests[1] >= 631 && requests[1] <= 664, "Intercom window 1: \(requests[1]) of 664")
        #expect(throttled[0] == 0 && throttled[1] == 0)
        // The window where the limit dropped may see 429s; the next one must not.
        #expect(throttled[3] == 0, "429s after the engine had a window to follow: \(throttled)")
        // Following means no 429 and never above the new limit, yet still 95 % of it.
        #expect(requests[3] >= 316 && requests[3] <= 332, "Intercom window 3: \(requests[3]) of 332")
    }

    /// Help Scout's whole-second times, `2024-01-02T03:04:05Z`, as Unix seconds.
    static func parseSeconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)?.timeIntervalSince1970
    }
}
}
