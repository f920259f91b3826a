import Foundation
import Testing
import MusterYAML

private func load(_ text: String) throws(YAMLError) -> Node {
    try YAMLLoader.load(Array(text.utf8))
}

/// The error `text` gives, or nil when it loads.
private func loadError(_ bytes: [UInt8]) -> YAMLError? {
    do {
        _ = try YAMLLoader.load(bytes)
        return nil
    } catch {
        return error
    }
}

private func loadError(_ text: String) -> YAMLError? { loadError(Array(text.utf8)) }

private func value(_ node: Node, _ key: String) -> Node? {
    node.pairs?.first { $0.key.scalar == key }?.value
}

private func key(_ node: Node, _ key: String) -> Node? {
    node.pairs?.first { $0.key.scalar == key }?.key
}

private func m(_ line: Int, _ column: Int) -> Mark { Mark(line: line, column: column) }

@Suite("YAML loader: marks and values")
struct LoaderMarkTests {
    let root: Node

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "marks", withExtension: "yaml", subdirectory: "Fixtures"))
        root = try YAMLLoader.load([UInt8](Data(contentsOf: url)))
    }

    @Test("keys and scalar values carry 1-based line:column", arguments: [
        ("plain", m(2, 1), m(2, 8), "value"),
        ("number", m(3, 1), m(3, 9), "2"),
        ("quoted", m(4, 1), m(4, 9), "2"),
        ("single", m(5, 1), m(5, 9), "it's"),
        ("run", m(6, 1), m(6, 6), "echo {{ region }}\necho done\n"),
        ("folded", m(9, 1), m(9, 9), "one two\n"),
        ("café", m(17, 1), m(17, 7), "é"),
    ])
    func marksOfKeysAndValues(name: String, keyMark: Mark, valueMark: Mark, text: String) throws {
        let k = try #require(key(root, name))
        let v = try #require(value(root, name))
        #expect(k.mark == keyMark)
        #expect(v.mark == valueMark)
        #expect(v.scalar == text)
    }

    @Test func blockLiteralEndsWhereTheNextKeyStarts() throws {
        let v = try #require(value(root, "run"))
        // The literal's text spans lines 7-8; its node starts at the `|` indicator.
        #expect(v.mark == m(6, 6))
        #expect(v.endMark == m(9, 1))
        #expect(!v.isPlainScalar)
    }

    @Test func quotedTwoIsNotPlainButUnquotedTwoIs() throws {
        let quoted = try #require(value(root, "quoted"))
        let number = try #require(value(root, "number"))
        #expect(!quoted.isPlainScalar)
        #expect(quoted.kindName == "a string")
        #expect(number.isPlainScalar)
        #expect(number.kindName == "an integer")
        #expect(value(root, "single")?.isPlainScalar == false)
    }

    @Test func sequenceItemsAndFlowCollectionsHaveMarks() throws {
        let list = try #require(value(root, "list")?.items)
        #expect(list.map(\.mark) == [m(13, 5), m(14, 5)])
        #expect(list.map(\.scalar) == ["first", "second"])
        #expect(list.map(\.isPlainScalar) == [true, false])

        let flow = try #require(value(root, "flow"))
        #expect(flow.mark == m(15, 7))
        #expect(key(flow, "a")?.mark == m(15, 8))
        #expect(value(flow, "a")?.mark == m(15, 11))
        let b = try #require(value(flow, "b"))
        #expect(b.mark == m(15, 17))
        #expect(b.items?.map(\.mark) == [m(15, 18), m(15, 21)])
    }

    @Test func anEmptyValueIsNull() throws {
        let v = try #require(value(root, "empty"))
        #expect(v.isNull)
        #expect(v.kindName == "null")
    }

    @Test func keysKeepFileOrder() {
        #expect(root.pairs?.compactMap(\.key.scalar) == ["plain", "number", "quoted", "single", "run", "folded", "list", "flow", "empty", "café"])
    }
}

/// Found by the runbook fuzzer: libyaml also breaks lines at a lone CR, NEL,
/// U+2028 and U+2029, and puts the end of a file without a final newline on
/// a line after it; marks must count lines as editors, the caret printer
/// and `SourceText` do, at line feeds only.
@Suite("YAML loader: lines end at line feeds")
struct LoaderLineTests {
    @Test("a line separator inside a value does not start a line", arguments: ["\u{2028}", "\u{2029}", "\u{85}"])
    func unusualBreakInsideAValue(separator: String) throws {
        let root = try load("title: \"a\(separator)b\"\nbogus: 1\n")
        #expect(key(root, "bogus")?.mark == m(2, 1))
        #expect(value(root, "bogus")?.mark == m(2, 8))
    }

    @Test func aLoneCarriageReturnDoesNotStartALine() throws {
        let root = try load("a: b\rc: d\n")
        #expect(value(root, "a")?.scalar == "b")
        #expect(key(root, "c")?.mark == m(1, 6))
    }

    @Test func crlfLinesCountOnce() throws {
        let root = try load("a: b\r\nc: é\r\nd: e\r\n")
        #expect(key(root, "c")?.mark == m(2, 1))
        #expect(value(root, "d")?.mark == m(3, 4))
    }

    @Test func theEndOfAFileWithoutAFinalNewlineIsOnItsLastLine() throws {
        #expect(loadError("a: 1\nb")?.mark == m(2, 2))
        #expect(loadError("x: 'unterminated")?.mark == m(1, 17))
        #expect(loadError("a: b\nx: 'caf\u{e9}")?.mark == m(2, 9))
    }
}

@Suite("YAML loader: refusals")
struct LoaderErrorTests {
    @Test func syntaxErrorGivesLibyamlsMessageAndPosition() throws {
        let e = try #require(loadError("title: x\nowners: [alice, bob\nsteps: []\n"))
        #expect(e.mark == m(3, 6))
        #expect(e.message == "did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 9)")
    }

    @Test("libyaml's own syntax messages, at libyaml's positions", arguments: [
        ("a:\n\tb: 1\n", m(2, 1), "found character that cannot start any token (while scanning for the next token at line 2, column 1)"),
        // libyaml's words, and what to do about them (issue 12): mis-indented, or a second colon.
        ("key: value\n  bad: indent\n", m(2, 6), "mapping values are not allowed in this context; this line is indented deeper than the line above, so it reads as the rest of that line's text: indent it like the keys beside it, or quote the text"),
        ("items:\n  - Check: it's up: yes\n", m(2, 19), "mapping values are not allowed in this context; a ': ' inside unquoted text starts a mapping: put the text in quotes, e.g. `- 'Check: it''s up: yes'`"),
        ("x: 'unterminated\n", m(2, 1), "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)"),
        ("- a\nb: 1\n", m(2, 1), "did not find expected '-' indicator (while parsing a block collection at line 1, column 1)"),
    ])
    func syntaxErrors(text: String, mark: Mark, message: String) throws {
        let e = try #require(loadError(text))
        #expect(e.mark == mark)
        #expect(e.message == message)
    }

    @Test("files with no document", arguments: ["", "# only\n# comments\n", "\n\n   \n"])
    func emptyFile(text: String) throws {
        let e = try #require(loadError(text))
        #expect(e.mark == nil)
        #expect(e.message == "file is empty: a runbook needs at least `muster`, `name`, `title` and `steps`")
    }

    @Test("a document with nothing in it", arguments: ["---\n", "---\n...\n", "# c\n---\n# c\n", "~\n", "null\n"])
    func emptyDocument(text: String) throws {
        let e = try #require(loadError(text))
        #expect(e.mark != nil)
        #expect(e.message == "document is empty: a runbook needs at least `muster`, `name`, `title` and `steps`")
    }

    @Test func emptyDocumentAfterMarkerPointsAfterIt() throws {
        #expect(loadError("---\n")?.mark == m(2, 1))
    }

    @Test func binaryFileWithNulByte() throws {
        var bytes = Array("a: b\nc: d\n".utf8)
        bytes.insert(0, at: 7)  // after "c:", at line 2, column 3
        let e = try #require(loadError(bytes))
        #expect(e.mark == m(2, 3))
        #expect(e.message == "file contains a NUL byte: it looks binary, not a YAML text file")
    }

    @Test func invalidLeadingByte() throws {
        var bytes = Array("a: b\nc: d\n".utf8)
        bytes.insert(0xFF, at: 9)  // after "c: d", at line 2, column 5
        let e = try #require(loadError(bytes))
        #expect(e.mark == m(2, 5))
        #expect(e.message == "file is not valid UTF-8 text: invalid leading UTF-8 octet")
    }

    @Test func truncatedSequencePointsAtItsLeadingByte() throws {
        // "é" is C3 A9; a lone C3 followed by a newline: the broken character is at line 2, column 11.
        let bytes = Array("a: b\ntitle: caf".utf8) + [0xC3] + Array("\nx: y\n".utf8)
        let e = try #require(loadError(bytes))
        #expect(e.mark == m(2, 11))
        #expect(e.message == "file is not valid UTF-8 text: invalid trailing UTF-8 octet")
    }

    @Test func invalidUTF8ColumnsCountCharactersNotBytes() throws {
        // "éé" is four bytes but two columns.
        let bytes = Array("a: éé".utf8) + [0xFF] + Array("\n".utf8)
        #expect(loadError(bytes)?.mark == m(1, 6))
    }

    @Test func aByteOrderMarkIsSkippedAndNotCounted() throws {
        let root = try YAMLLoader.load([0xEF, 0xBB, 0xBF] + Array("name: x\ntitle: y\n".utf8))
        #expect(key(root, "name")?.mark == m(1, 1))
        #expect(value(root, "name")?.mark == m(1, 7))
        #expect(value(root, "name")?.scalar == "x")
        let e = try #require(loadError([0xEF, 0xBB, 0xBF] + Array("a: b".utf8) + [0]))
        #expect(e.mark == m(1, 5))
    }

    @Test func aUTF16FileIsRefused() throws {
        // UTF-16 text holds NUL bytes for ASCII; the message must not claim a YAML syntax error.
        let e = try #require(loadError([0xFF, 0xFE] + Array("a: b\n".utf8).flatMap { [$0, 0] }))
        #expect(e.message.hasPrefix("file contains a NUL byte"))
    }

    @Test func duplicateKeyNamesTheKeyAndTheFirstPosition() throws {
        let e = try #require(loadError("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n"))
        #expect(e.mark == m(5, 3))
        #expect(e.message == "duplicate key 'c' (first at line 3, column 3); YAML would silently keep only one")
    }

    @Test func quotedAndPlainSpellingsOfAKeyAreTheSameKey() throws {
        let e = try #require(loadError("name: a\n\"name\": b\n"))
        #expect(e.mark == m(2, 1))
        #expect(e.message.hasPrefix("duplicate key 'name' (first at line 1, column 1)"))
    }

    @Test func sameKeyInDifferentMappingsIsFine() throws {
        let root = try load("a: {id: 1}\nb: {id: 2}\n")
        #expect(root.pairs?.count == 2)
    }

    @Test func twoDocumentsInOneFile() throws {
        let e = try #require(loadError("a: 1\n---\nb: 2\n"))
        #expect(e.mark == m(2, 1))
        #expect(e.message == "file holds several YAML documents (a second `---`); a runbook or drill file holds exactly one")
    }

    @Test func aSingleExplicitDocumentIsFine() throws {
        let root = try load("---\na: 1\n...\n")
        #expect(value(root, "a")?.scalar == "1")
    }

    @Test func billionLaughsIsRefused() throws {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for k in 1..<names.count {
            text += "\(names[k]): &\(names[k]) [" + Array(repeating: "*\(names[k - 1])", count: 10).joined(separator: ",") + "]\n"
        }
        let e = try #require(loadError(text))
        #expect(e.message == "aliases expand to more than \(YAMLLimits.maxAliasExpansion) nodes; refusing an explosive (\"billion laughs\") document")
        // The limit trips at the first alias that crosses it, on level e.
        #expect(e.mark == m(5, 29))
    }

    /// Found by the runbook fuzzer: few aliases of one long value multiplied
    /// the work of every check that reads a value (see HostileFileTests).
    @Test func aliasesOfAHugeValueAreRefused() throws {
        let a = "a: &a \"\(String(repeating: "x", count: 600_000))\"\n"
        #expect(loadError(a + "b: [*a, *a, *a]\n") == nil)
        let e = try #require(loadError(a + "b: [*a, *a, *a, *a]\n"))
        #expect(e.message == "aliases copy in more than \(YAMLLimits.maxAliasExpansionCharacters) characters of text; refusing an explosive document")
        #expect(e.mark == m(2, 17))
    }

    @Test func modestAliasesAreExpanded() throws {
        let root = try load("x: &x [1, 2]\ny: *x\nz: [*x, *x]\n")
        #expect(value(root, "y")?.items?.compactMap(\.scalar) == ["1", "2"])
        // A copy is marked where the alias is written.
        #expect(value(root, "y")?.mark == m(2, 4))
        #expect(value(root, "z")?.items?.count == 2)
    }

    @Test func fileOverTheSizeLimit() throws {
        let line = Array("k: \(String(repeating: "x", count: 100))\n".utf8)
        var bytes: [UInt8] = []
        while bytes.count <= YAMLLimits.maxFileBytes { bytes += line }
        let e = try #require(loadError(bytes))
        #expect(e.mark == nil)
        #expect(e.message == "file is \(bytes.count) bytes, over the \(YAMLLimits.maxFileBytes)-byte limit for runbooks; split it with `runbook:` steps")
    }

    @Test func fileAtTheSizeLimitIsRead() throws {
        var bytes = Array("k: ".utf8)
        bytes += Array(repeating: UInt8(ascii: "x"), count: YAMLLimits.maxFileBytes - bytes.count - 1)
        bytes.append(UInt8(ascii: "\n"))
        #expect(bytes.count == YAMLLimits.maxFileBytes)
        let root = try YAMLLoader.load(bytes)
        #expect(value(root, "k")?.scalar?.utf8.count == YAMLLimits.maxFileBytes - 4)
    }

    @Test func nestingDeeperThanTheLimit() throws {
        let depth = YAMLLimits.maxDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let e = try #require(loadError(text))
        #expect(e.mark == m(1, depth))
        #expect(e.message == "nesting deeper than \(YAMLLimits.maxDepth) levels; a runbook never needs this")
    }

    @Test func nestingAtTheLimitIsRead() throws {
        let depth = YAMLLimits.maxDepth
        var node = try load(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        var levels = 1
        while let inner = node.items?.first {
            node = inner
            levels += 1
        }
        #expect(levels == depth)
    }

    @Test func blockNestingCountsToo() throws {
        var text = ""
        for d in 0...YAMLLimits.maxDepth { text += String(repeating: "  ", count: d) + "k\(d):\n" }
        text += String(repeating: "  ", count: YAMLLimits.maxDepth + 1) + "v\n"
        let e = try #require(loadError(text))
        #expect(e.message.hasPrefix("nesting deeper than"))
        #expect(e.mark == m(YAMLLimits.maxDepth + 1, 2 * YAMLLimits.maxDepth + 1))
    }

    @Test func aliasToAnUnknownAnchor() throws {
        let e = try #require(loadError("a: 1\nb: *nope\n"))
        #expect(e.mark == m(2, 4))
        #expect(e.message.contains("*nope"))
        #expect(e.message.contains("anchor"))
    }

    @Test func aliasBeforeItsAnchorIsUnknown() throws {
        let e = try #require(loadError("b: *later\na: &later 1\n"))
        #expect(e.mark == m(1, 4))
        #expect(e.message == "alias '*later' names no anchor defined before it")
    }

    @Test("a key that is not a scalar", arguments: [
        ("? [a, b]\n: 1\n", m(1, 3), "a list"),
        ("{[a]: 1}\n", m(1, 2), "a list"),
        ("? {x: 1}\n: 2\n", m(1, 3), "a mapping"),
    ])
    func nonScalarKeys(text: String, mark: Mark, kind: String) throws {
        let e = try #require(loadError(text))
        #expect(e.mark == mark)
        #expect(e.message == "mapping keys must be plain text, not \(kind)")
    }
}

@Suite("YAML loader: merge keys")
struct MergeKeyTests {
    @Test func explicitKeysWinOverMergedOnes() throws {
        let root = try load("""
            defaults: &defaults
              timeout: 5m
              retries: 2
            step:
              <<: *defaults
              retries: 4
            """)
        let step = try #require(value(root, "step"))
        #expect(value(step, "retries")?.scalar == "4")
        #expect(value(step, "timeout")?.scalar == "5m")
        #expect(step.pairs?.count == 2)
        // Explicit keys come first; merged keys keep the anchor's marks.
        #expect(step.pairs?.compactMap(\.key.scalar) == ["retries", "timeout"])
        #expect(key(step, "timeout")?.mark == m(2, 3))
        #expect(step.pairs?.contains { $0.key.scalar == "<<" } == false)
    }

    @Test func explicitKeyBeforeTheMergeStillWins() throws {
        let root = try load("d: &d {a: 1, b: 2}\nm: {b: 9, <<: *d}\n")
        let mm = try #require(value(root, "m"))
        #expect(value(mm, "b")?.scalar == "9")
        #expect(value(mm, "a")?.scalar == "1")
    }

    @Test func aListOfMergesTakesTheFirstMappingsValue() throws {
        let root = try load("x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n")
        let z = try #require(value(root, "z"))
        #expect(value(z, "a")?.scalar == "1")
        #expect(value(z, "b")?.scalar == "1")
        #expect(value(z, "c")?.scalar == "2")
    }

    @Test func quotedLessThanLessThanIsAnOrdinaryKey() throws {
        let root = try load("m:\n  \"<<\": {a: 1}\n")
        let mm = try #require(value(root, "m"))
        #expect(mm.pairs?.first?.key.scalar == "<<")
        #expect(value(mm, "a") == nil)
    }

    @Test("merging something that is not a mapping", arguments: [
        ("m:\n  <<: plain\n", m(2, 7), "a string"),
        ("m:\n  <<: [{a: 1}, 2]\n", m(2, 16), "an integer"),
    ])
    func mergeOfAScalar(text: String, mark: Mark, kind: String) throws {
        let e = try #require(loadError(text))
        #expect(e.mark == mark)
        #expect(e.message == "merge key '<<' takes a mapping or a list of mappings, not \(kind)")
    }
}

@Suite struct NodeTests {
    @Test("kind names for messages", arguments: [
        ("v: ~", "null"), ("v: null", "null"), ("v:", "null"), ("v: 12", "an integer"), ("v: -3", "an integer"),
        ("v: true", "a boolean"), ("v: False", "a boolean"), ("v: \"true\"", "a string"), ("v: yes", "a string"),
        ("v: [1]", "a list"), ("v: {a: 1}", "a mapping"), ("v: !!str 12", "a string"),
    ])
    func kindNames(text: String, kind: String) throws {
        let v = try #require(value(try load(text + "\n"), "v"))
        #expect(v.kindName == kind)
    }

    @Test func marksCompareByLineThenColumn() {
        #expect(m(1, 9) < m(2, 1))
        #expect(m(2, 1) < m(2, 2))
        #expect(!(m(2, 2) < m(2, 2)))
        #expect(m(3, 4).description == "3:4")
    }

    @Test func libyamlVersionIsReported() {
        #expect(YAMLLibrary.version.split(separator: ".").count >= 2)
    }
}
