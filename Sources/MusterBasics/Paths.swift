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

    /// `p` with every symbolic link, `.` and `..` resolved (realpath(3)),
    /// or nil when it does not exist: where the bytes really come from.
    public static func resolved(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    public static func isDirectory(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// YAML files in a folder and its subfolders, sorted so output is
    /// stable. Skipped: hidden folders, `records/` (drill records, JSON), and
    /// `drills/ci/` (CI workflows and CronJobs that schedule drills: YAML,
    /// but neither runbooks nor drills).
    public static func yamlFiles(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        let inDrills = basename(dir) == "drills"
        for n in names.sorted() where !n.hasPrefix(".") {
            let p = join(dir, n)
            if isDirectory(p) {
                if n != "records" && !(inDrills && n == "ci") { out += yamlFiles(in: p) }
            } else if n.hasSuffix(".yaml") || n.hasSuffix(".yml") {
                out.append(p)
            }
        }
        return out
    }

    /// Reads a whole file with plain POSIX calls: validating a thousand
    /// runbooks spends measurable time in `Data(contentsOf:)` and its copy.
    public static func read(_ p: String) throws(ReadError) -> [UInt8] {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ReadError(errno: errno) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else { throw ReadError(errno: EISDIR) }
        // One byte more than the size, so a file that did not grow reads in
        // one call and the next returns end of file.
        var out = [UInt8](repeating: 0, count: max(Int(st.st_size), 0) + 1)
        var used = 0
        while true {
            if used == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ReadError(errno: errno)
            }
            if n == 0 { break }
            used += n
        }
        out.removeLast(out.count - used)
        return out
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { String(cString: strerror(errno)) }
    }
}
