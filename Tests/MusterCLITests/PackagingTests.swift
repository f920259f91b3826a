#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// scripts/install and scripts/package-deb for real: a release build (in
/// ~/.cache/muster/package-build, or $MUSTER_PACKAGE_BUILD, kept between
/// runs, one run at a time by a lock beside it: `swift test` holds .build),
/// installed under a temporary prefix, then packaged and installed with dpkg
/// into a temporary root whose package database is this machine's, so
/// Depends is checked for real. Only the first run on a machine builds the
/// release from nothing; scripts/test starts that build early, holding the
/// same lock. In scripts/test's heavy list.
@Suite("scripts/install and scripts/package-deb", .serialized)
struct PackagingTests {
    static let scratch = ProcessInfo.processInfo.environment["MUSTER_PACKAGE_BUILD"] ?? NSHomeDirectory() + "/.cache/muster/package-build"

    /// Runs `body` holding the build folder's lock.
    func locked<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: (Self.scratch as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = open(Self.scratch + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        defer { close(lock) }
        try #require(lock >= 0 && flock(lock, LOCK_EX) == 0, "cannot lock \(Self.scratch).lock")
        return try body()
    }

    /// Every file under `dir` with its SHA-256, to compare two installs.
    func checksums(_ dir: String) throws -> String {
        try sh("find . -type f -print0 | sort -z | xargs -0 sha256sum", cwd: dir)
    }

    /// The man page as `man` shows it (plain text, no pager).
    func manText(_ path: String) throws -> String {
        try sh("MANWIDTH=100 MANPAGER=cat man -l '\(path)' 2>&1 | col -b", cwd: packageRoot)
    }

    @Test func installPutsTheBinaryManPageAndCompletionsUnderThePrefix() throws {
        let prefix = try temporaryDirectory() + "/usr/local"
        let first = try locked { attempt("scripts/install --prefix '\(prefix)' --scratch-path '\(Self.scratch)'") }
        try #require(first.ok, "\(first.output)")
        #expect(first.output.contains("installed muster 0.1.0 under \(prefix)"), "\(first.output)")

        #expect(try sh("'\(prefix)/bin/muster' --version", cwd: packageRoot) == "0.1.0\n")
        // The Swift runtime is linked in: only C libraries are needed, and
        // libcurl and libgit2 are opened when first used, not linked.
        let needed = try sh("readelf -d '\(prefix)/bin/muster' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'", cwd: packageRoot)
        #expect(!needed.contains("libswiftCore") && !needed.contains("libFoundation"), "\(needed)")
        #expect(needed.contains("libyaml") && needed.contains("libpcre2-8"), "\(needed)")
        #expect(!needed.contains("libgit2") && !needed.contains("libcurl"), "\(needed)")

        // The man page, through man(1) and groff's own checks.
        let page = prefix + "/share/man/man1/muster.1"
        let text = try manText(page)
        #expect(text.contains("NAME") && text.contains("muster"), "\(text)")
        for subcommand in ["validate", "verify", "drill", "due", "preflight"] {
            #expect(text.contains(subcommand), "the man page does not mention \(subcommand)")
        }
        #expect(text.contains("--json"), "\(text)")
        let lint = try sh("groff -mandoc -Tutf8 -ww -z '\(page)' 2>&1", cwd: packageRoot)
        #expect(lint.isEmpty, "groff warns: \(lint)")

        // Completions, as each shell would load them.
        let bash = try sh("source '\(prefix)/share/bash-completion/completions/muster' && complete -p muster", cwd: packageRoot)
        #expect(bash.contains("muster"), "\(bash)")
        #expect(try String(contentsOfFile: prefix + "/share/zsh/site-functions/_muster", encoding: .utf8).hasPrefix("#compdef muster"))
        #expect(try String(contentsOfFile: prefix + "/share/fish/vendor_completions.d/muster.fish", encoding: .utf8).contains("complete -c 'muster'"))

        // Again: the same files, nothing else.
        let before = try checksums(prefix)
        let second = try locked { attempt("scripts/install --prefix '\(prefix)' --scratch-path '\(Self.scratch)'") }
        #expect(second.ok, "\(second.output)")
        #expect(try checksums(prefix) == before)
    }

    @Test("usage errors exit 2", arguments: [
        (["--prefix", "relative/dir"], "--prefix must be an absolute path, not 'relative/dir'"),
        (["--bogus"], "unknown argument '--bogus'"),
    ])
    func installUsageErrors(args: [String], message: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: packageRoot + "/scripts/install")
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
        #expect(text.contains(message), "\(text)")
    }

    @Test func theDebianPackageInstallsAWorkingMusterAndItsManPage() throws {
        let out = try temporaryDirectory()
        let built = try locked { attempt("scripts/package-deb --out '\(out)' --scratch-path '\(Self.scratch)'") }
        try #require(built.ok, "\(built.output)")
        let arch = try sh("dpkg --print-architecture", cwd: out).trimmingCharacters(in: .whitespacesAndNewlines)
        let deb = out + "/muster_0.1.0_\(arch).deb"
        #expect(built.output.hasSuffix(deb + "\n"), "\(built.output)")

        let control = try sh("dpkg-deb --field '\(deb)'", cwd: out)
        #expect(control.contains("Package: muster\n") && control.contains("Version: 0.1.0\n"), "\(control)")
        let depends = try sh("dpkg-deb --field '\(deb)' Depends", cwd: out)
        for library in ["libc6", "libcurl4", "libgit2-", "libyaml-0-2", "libpcre2-8-0"] {
            #expect(depends.contains(library), "Depends lacks \(library): \(depends)")
        }
        #expect(!depends.contains("swift"), "\(depends)")
        let contents = try sh("dpkg-deb --contents '\(deb)'", cwd: out)
        for path in ["./usr/bin/muster", "./usr/share/man/man1/muster.1.gz", "./usr/share/bash-completion/completions/muster",
                     "./usr/share/zsh/vendor-completions/_muster", "./usr/share/fish/vendor_completions.d/muster.fish"] {
            #expect(contents.contains(path), "\(path) is not in the package")
        }
        #expect(contents.contains("root/root"), "files are root's: \(contents)")

        // dpkg -i into a root of its own whose database holds this machine's
        // packages: Depends is checked against what is really installed.
        let root = try temporaryDirectory()
        try sh("mkdir -p var/lib/dpkg/info var/lib/dpkg/updates && cp /var/lib/dpkg/status var/lib/dpkg/status && touch var/lib/dpkg/available", cwd: root)
        let installed = attempt("dpkg --root='\(root)' --force-not-root --log=/dev/null -i '\(deb)'", cwd: root)
        #expect(installed.ok && installed.output.contains("Setting up muster (0.1.0)"), "\(installed.output)")
        #expect(try sh("dpkg-query --admindir='\(root)/var/lib/dpkg' -W -f='${Status}' muster", cwd: root) == "install ok installed")
        #expect(try sh("'\(root)/usr/bin/muster' --version", cwd: root) == "0.1.0\n")
        let validate = try sh("'\(root)/usr/bin/muster' validate", cwd: packageRoot)
        #expect(validate.hasPrefix("ok: "), "\(validate)")
        let text = try manText(root + "/usr/share/man/man1/muster.1.gz")
        #expect(text.contains("NAME") && text.contains("validate"), "\(text)")

        // A database without one of the Depends refuses it.
        try sh("python3 -c \"$DROP\" var/lib/dpkg/status", cwd: root, env: ["DROP": """
        import re, sys
        text = open(sys.argv[1]).read()
        text = '\\n\\n'.join(p for p in text.split('\\n\\n') if not re.match(r'Package: libyaml-0-2\\n', p))
        open(sys.argv[1], 'w').write(text)
        """])
        try sh("dpkg --root='\(root)' --force-not-root --log=/dev/null -r muster", cwd: root)
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/bin/muster"))
        let refused = attempt("dpkg --root='\(root)' --force-not-root --log=/dev/null -i '\(deb)'", cwd: root)
        #expect(!refused.ok && refused.output.contains("libyaml-0-2"), "\(refused.output)")
    }
}
