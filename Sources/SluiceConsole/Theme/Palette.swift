/// The xterm colour tables and nearest-colour search used to fit a theme to the terminal.
enum Palette {
    struct RGB: Sendable, Hashable {
        var red: Int
        var green: Int
        var blue: Int

        func distanceSquared(to other: RGB) -> Int {
            let red = self.red - other.red, green = self.green - other.green, blue = self.blue - other.blue
            return red * red + green * green + blue * blue
        }
    }

    static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// xterm's stock values for colours 0–15. Users recolour these, so they are never targets
    /// when matching 256 colours.
    static let system: [RGB] = [
        RGB(red: 0, green: 0, blue: 0), RGB(red: 205, green: 0, blue: 0),
        RGB(red: 0, green: 205, blue: 0), RGB(red: 205, green: 205, blue: 0),
        RGB(red: 0, green: 0, blue: 238), RGB(red: 205, green: 0, blue: 205),
        RGB(red: 0, green: 205, blue: 205), RGB(red: 229, green: 229, blue: 229),
        RGB(red: 127, green: 127, blue: 127), RGB(red: 255, green: 0, blue: 0),
        RGB(red: 0, green: 255, blue: 0), RGB(red: 255, green: 255, blue: 0),
        RGB(red: 92, green: 92, blue: 255), RGB(red: 255, green: 0, blue: 255),
        RGB(red: 0, green: 255, blue: 255), RGB(red: 255, green: 255, blue: 255),
    ]

    static let xterm256: [RGB] = (0..<256).map { index in
        if index < 16 { return system[index] }
        if index < 232 {
            let cube = index - 16
            return RGB(red: cubeLevels[cube / 36], green: cubeLevels[cube / 6 % 6], blue: cubeLevels[cube % 6])
        }
        let grey = 8 + 10 * (index - 232)
        return RGB(red: grey, green: grey, blue: grey)
    }

    /// The closest colour among 16–255 (cube and grey ramp) by squared RGB distance; ties go
    /// to the lower index. 0–15 are never targets: users recolour them.
    static func nearest256(to target: RGB, excluding excluded: Int? = nil) -> Int {
        var best = 16
        var bestDistance = Int.max
        for candidate in 16..<256 where candidate != excluded {
            let distance = xterm256[candidate].distanceSquared(to: target)
            if distance < bestDistance {
                best = candidate
                bestDistance = distance
            }
        }
        return best
    }

    /// The basic colour (0–7) a colour reads as. Plain nearest-RGB matching against the 8 xterm
    /// colours sends mid greys to yellow (#808080 is nearer 205,205,0 than 229,229,229) and
    /// pastels to white, which loses exactly what 8 colours must keep: green for good, yellow
    /// for warn, red for bad. So dark colours become black, greys black or white by lightness,
    /// and the rest the basic colour of the nearest hue.
    static func basic8(for colour: RGB) -> Int {
        let high = max(colour.red, colour.green, colour.blue)
        let chroma = high - min(colour.red, colour.green, colour.blue)
        if high < 102 { return 0 }
        if chroma * 4 < high { return neutral8(for: colour) }
        return hueColour(of: colour, high: high, chroma: chroma)
    }

    private static func neutral8(for colour: RGB) -> Int {
        max(colour.red, colour.green, colour.blue) + min(colour.red, colour.green, colour.blue) >= 256 ? 7 : 0
    }

    /// `basic` unless it is `excluded` (the background); then the neutral that is not the
    /// background, which is always readable.
    private static func basic8(_ basic: Int, for colour: RGB, avoiding excluded: Int?) -> Int {
        guard basic == excluded else { return basic }
        let neutral = neutral8(for: colour)
        return neutral == excluded ? 7 - neutral : neutral
    }

    /// Where each basic colour's hues begin, in degrees. Not evenly spaced: theme greens are
    /// often olive (Solarized's #859900 is 68°) and blues often azure (#268bd2 is 205°), and
    /// both should keep their meaning.
    private static let hueSectors: [(from: Double, basic: Int)] = [
        (30, 3), (65, 2), (160, 6), (200, 4), (270, 5), (335, 1),
    ]

    private static func hueColour(of colour: RGB, high: Int, chroma: Int) -> Int {
        let (red, green, blue) = (Double(colour.red), Double(colour.green), Double(colour.blue))
        let sixths: Double
        if high == colour.red {
            sixths = (green - blue) / Double(chroma)
        } else if high == colour.green {
            sixths = 2 + (blue - red) / Double(chroma)
        } else {
            sixths = 4 + (red - green) / Double(chroma)
        }
        let degrees = (sixths * 60 + 360).truncatingRemainder(dividingBy: 360)
        return hueSectors.last { degrees >= $0.from }?.basic ?? 1
    }

    /// The colour number to hand the terminal at `depth`, or -1 for the terminal's default.
    /// `excluding` names a number the result must differ from, used so that two different
    /// theme colours never collapse into invisible same-on-same text.
    static func reduce(_ colour: Colour, depth: ColourDepth, excluding excluded: Int? = nil) -> Int {
        switch (colour, depth) {
        case (_, .monochrome), (.terminalDefault, _):
            return -1
        case (.index(let index), .ansi256):
            return Int(index)
        case (.rgb(let red, let green, let blue), .ansi256):
            return nearest256(to: RGB(red: Int(red), green: Int(green), blue: Int(blue)), excluding: excluded)
        case (.index(let index), .ansi8) where index < 16:
            return basic8(Int(index % 8), for: system[Int(index)], avoiding: excluded)
        case (.index(let index), .ansi8):
            let colour = xterm256[Int(index)]
            return basic8(basic8(for: colour), for: colour, avoiding: excluded)
        case (.rgb(let red, let green, let blue), .ansi8):
            let colour = RGB(red: Int(red), green: Int(green), blue: Int(blue))
            return basic8(basic8(for: colour), for: colour, avoiding: excluded)
        }
    }
}
