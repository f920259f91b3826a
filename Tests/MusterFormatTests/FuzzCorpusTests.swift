import Foundation
import MusterFuzz
import MusterStore
import Testing

/// The committed fuzz corpus (`Fuzz/corpus/TARGET`, see docs/fuzzing.md)
/// replayed through the checks the libFuzzer targets make, from the same
/// code (`Fuzz/Harness`): no input may crash, and every invariant a target
/// checks must hold.
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/corpus").standardized.path

    static func inputs(_ target: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus + "/" + target)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func bytes(_ target: String, _ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + target + "/" + file)))
    }

    @Test("every target has a corpus", arguments: ["runbook", "template", "journal", "xml"])
    func corpusIsThere(target: String) {
        #expect(!Self.inputs(target).isEmpty, "no inputs in \(Self.corpus)/\(target)")
    }

    @Test("runbook corpus", arguments: inputs("runbook"))
    func runbook(file: String) throws {
        let target = RunbookTarget()
        defer { target.remove() }
        #expect(target.check(try Self.bytes("runbook", file)) == [])
    }

    @Test("template corpus", arguments: inputs("template"))
    func template(file: String) throws {
        #expect(TemplateTarget.check(try Self.bytes("template", file)) == [])
    }

    @Test("journal corpus", arguments: inputs("journal"))
    func journal(file: String) throws {
        #expect(JournalTarget.check(try Self.bytes("journal", file)) == [])
    }

    @Test("S3/STS XML reply corpus", arguments: inputs("xml"))
    func xml(file: String) throws {
        #expect(XMLReplyTarget.check(try Self.bytes("xml", file)) == [])
    }

    /// The XML target checks something: a reply it accepts reads back the
    /// same, and what it refuses is refused, not half-read.
    @Test func theXMLTargetSeesTheTreeItReads() {
        #expect(XMLReplyTarget.check(Array("<a><b>x &amp; y</b><c/></a>".utf8)) == [])
        #expect(XMLReplyTarget.write(XMLReplyTarget.tree(Array("<a><b>x &amp; y</b><c/></a>".utf8))!) == "<a><b>x &amp; y</b><c></c></a>")
        #expect(XMLReplyTarget.tree(Array("<a><b></a>".utf8)) == nil)
        #expect(XMLReplyTarget.tree(Array((String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)).utf8)) == nil)
    }
}
