/// SplitMix64: small, fast and reproducible, so a test that fixes the seed sees the same
/// injected errors and the same generated traffic every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator seeded from the system's entropy, for runs that need no reproducibility.
    public static func unseeded() -> SeededRandom {
        var system = SystemRandomNumberGenerator()
        return SeededRandom(seed: system.next())
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed value in 0..<1.
    public mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }

    /// `count` random bytes as lowercase hex, for ids and tokens.
    public mutating func hex(_ count: Int) -> String {
        var out = ""
        out.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8(truncatingIfNeeded: next())
            out += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return out
    }
}
