import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Where the fixture files are: the copied bundle resources, so tests do not
/// depend on the working directory.
enum Fixtures {
    static let root: String = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures are missing from the test bundle")
        }
        return url.path
    }()

    /// The source tree's copy, where `MUSTER_RECORD=1` writes golden files.
    static let sourceRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    static func path(_ relative: String) -> String { Paths.join(root, relative) }

    static var recording: Bool { ProcessInfo.processInfo.environment["MUSTER_RECORD"] == "1" }

    /// YAML files below a fixture repository, relative to it, sorted.
    static func yamlFiles(in repo: String) -> [String] {
        let base = path(repo)
        return Paths.yamlFiles(in: base).map { Paths.display($0, from: base) }
    }
}

/// A catalog over one fixture repository, with paths shown relative to it.
func catalog(for repo: String) -> Catalog {
    let root = Fixtures.path(repo)
    return Catalog(currentDirectory: root, rootFinder: { _ in root })
}

/// Everything `muster validate` reports for one file, in its order.
func problems(of relative: String, in repo: String) -> [Diagnostic] {
    let c = catalog(for: repo)
    let abs = Paths.join(Fixtures.path(repo), relative)
    let entry = c.load(abs)
    var out = entry.diagnostics
    if entry.document != nil { out += c.crossCheck(entry, at: abs) }
    return out.sorted()
}
