import SluiceSpec
import Testing

@Suite struct ASCIITrimTests {
    @Test func trimsSpacesAndTabsOnlyAtTheEnds() {
        #expect("  42\t".trimmingASCIIWhitespace() == "42")
        #expect("a b".trimmingASCIIWhitespace() == "a b")
        #expect(" \t ".trimmingASCIIWhitespace() == "")
        #expect("".trimmingASCIIWhitespace() == "")
        #expect("Bearer  tok ".dropFirst(6).trimmingASCIIWhitespace() == "tok")
        #expect(" Ünïcode ".trimmingASCIIWhitespace() == "Ünïcode")
    }
}
