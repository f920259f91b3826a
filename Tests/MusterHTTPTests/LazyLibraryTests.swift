import CLazyLibraries
import Testing

/// libcurl and libgit2 are opened on first use (CLazyLibraries); when one
/// cannot be, the message names it and the package that installs it.
@Suite("libraries opened on first use")
struct LazyLibraryTests {
    @Test func aLibraryThatCannotBeOpenedIsNamedWithThePackageThatInstallsIt() throws {
        let why = try #require(muster_library_problem("libmuster-absent.so.0", "libabsent", "libabsent0").map { String(cString: $0) })
        #expect(why.hasPrefix("this needs libabsent (libmuster-absent.so.0), which cannot be loaded: libmuster-absent.so.0: cannot open shared object file"), "\(why)")
        #expect(why.hasSuffix("Install it: apt-get install libabsent0 (Debian, Ubuntu), or your system's package of libabsent"), "\(why)")
    }

    @Test func theLibrariesMusterUsesAreThere() {
        #expect(muster_curl_unavailable() == nil)
        #expect(muster_git2_unavailable() == nil)
        #expect(muster_library_problem("libcurl.so.4", "libcurl", "libcurl4") == nil)
    }
}
