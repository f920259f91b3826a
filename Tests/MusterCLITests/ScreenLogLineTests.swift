import Foundation
@testable import MusterCLI
import MusterApp
import MusterEngine
import MusterFormat
import Testing

/// The screen log's own writing of the messages every step shows reads back
/// as the same message the encoder's line does, whatever the text holds.
@Suite("Screen log: the per-step messages written without the encoder")
struct ScreenLogLineTests {
    static let texts = ["", "plain", "quote \" and backslash \\ and slash /", "tab\tnewline\ncarriage\r",
                        "\u{1B}[31mred\u{1B}[0m \u{07}\u{9B}2J", "ünïcødé ✓ 🚀", "{\"_0\":1}"]

    static var messages: [ConsoleMessage] {
        var all: [ConsoleMessage] = []
        for t in texts {
            all.append(.output(stderr: false, line: t))
            all.append(.output(stderr: true, line: t))
            all.append(.command(t))
            all.append(.stepHeader(index: 3, total: 12, number: t, kind: .run, title: t, id: t))
            all.append(.stepResult(.finished(.done), seconds: 0.06063028599965037, detail: t))
        }
        for kind in StepKind.allCases { all.append(.stepHeader(index: 1, total: 1, number: "", kind: kind, title: "T", id: "s")) }
        for outcome in StepOutcome.allCases {
            for seconds in [0, 1, 2.5, 1e-05, 123456789.125, 0.1 + 0.2, 5e300] {
                all.append(.stepResult(.finished(outcome), seconds: seconds, detail: nil))
            }
        }
        return all
    }

    @Test func eachPerStepMessageReadsBackAsTheEncodersLineDoes() throws {
        let decoder = JSONDecoder()
        for message in Self.messages {
            let line = try #require(ScreenLog.line(message), "\(message)")
            let ours = try decoder.decode(ScreenEntry.self, from: Data(line.utf8))
            let theirs = try decoder.decode(ScreenEntry.self, from: JSONEncoder().encode(ScreenEntry(show: message)))
            #expect(ours.show == message, "\(line)")
            #expect(ours.show == theirs.show)
            #expect(ours.ask == nil && ours.answered == nil)
            // One record per line, and nothing a terminal would obey.
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) }, "\(line)")
        }
    }

    @Test func theRestIsLeftToTheEncoder() {
        let rest: [ConsoleMessage] = [
            .info("i"), .warning("w"), .notes("n"), .runHeader(title: "t", runID: "r", steps: 1, resumed: false, drillBanner: nil),
            .stepResult(.rolledBack, seconds: 1, detail: nil), .stepResult(.finished(.done), seconds: .infinity, detail: nil),
        ]
        for message in rest { #expect(ScreenLog.line(message) == nil, "\(message)") }
    }
}
