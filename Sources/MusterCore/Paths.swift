#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Small path helpers on strings, so the core needs no URL juggling.
public enum Paths {
    public static func join(_ a: String, _ b: String) -> String {
        if b.hasPrefix("/") || a.isEmpty { return b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    public static func dirname(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return "." }
        return i == p.startIndex ? "/" : String(p[..<i])
    }

    public static func basename(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return p }
        return String(p[p.index(after: i)...])
    }

    /// The file name without `.yaml` or `.yml`.
    public static func stem(_ p: String) -> String {
        let b = basename(p)
        for ext in [".yaml", ".yml"] where b.hasSuffix(ext) { return String(b.dropLast(ext.count)) }
        return b
    }

    public static var currentDirectory: String { FileManager.default.currentDirectoryPath }

    /// An absolute path with `.` and `..` resolved lexically.
    public static func absolute(_ p: String, from base: String = currentDirectory) -> String {
        let full = p.hasPrefix("/") ? p : join(base, p)
        var parts: [Substring] = []
        for c in full.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `p` relative to `base` when it lies below it, else `p` unchanged.
    public static func display(_ p: String, from base: String = currentDirectory) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p
    }

    public static func isDirectory(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// YAML files in a folder and its subfolders (skipping `records/` and
    /// hidden folders), sorted so output is stable.
    public static func yamlFiles(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        for n in names.sorted() where !n.hasPrefix(".") {
            let p = join(dir, n)
            if isDirectory(p) {
                if n != "records" { out += yamlFiles(in: p) }
            } else if n.hasSuffix(".yaml") || n.hasSuffix(".yml") {
                out.append(p)
            }
        }
        return out
    }

    public static func read(_ p: String) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: p))
        return [UInt8](data)
    }
}
