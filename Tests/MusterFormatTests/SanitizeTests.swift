import MusterTerminal
import Testing

/// What the screen shows of text from runbooks, steps and servers: printable
/// ASCII (the short way through `sanitize`) and the rest come out alike.
@Suite("sanitize: printable ASCII and the rest")
struct SanitizeTests {
    @Test func printableASCIIIsShownAsItIsButARunOfSpacesOutsideLines() {
        #expect(sanitize("plain text, ~!@#$%^&*()_+{}|:\"<>?") == "plain text, ~!@#$%^&*()_+{}|:\"<>?")
        #expect(sanitize("") == "")
        #expect(sanitize("a  b   c ") == "a b c ")
        #expect(sanitize("a  b   c ", lines: true) == "a  b   c ")
        #expect(sanitize(" ") == " ")
    }

    @Test func controlsAndOtherBlanksAreStillTakenCareOf() {
        #expect(sanitize("a\tb") == "a b")
        #expect(sanitize("a\tb", lines: true) == "a\tb")
        #expect(sanitize("x\u{1B}[31m") == "x^[[31m")
        #expect(sanitize("one\ntwo") == "one⏎two")
        #expect(sanitize("one\ntwo", lines: true) == "one\ntwo")
        #expect(sanitize("del\u{7F}") == "del\\u{7f}")
        #expect(sanitize("a\u{00A0}\u{00A0}b") == "a b")
        #expect(sanitize("a \u{00A0}b", lines: true) == "a \u{00A0}b")
        #expect(sanitize("\u{202E}evil") == "\\u{202e}evil")
        #expect(sanitize("ünïcødé  ✓") == "ünïcødé ✓")
    }
}
