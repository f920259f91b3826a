import Foundation
import MusterTestSupport
import Testing

/// The tests' one wait: it looks again until the condition holds, and a
/// wait in vain fails naming what it waited for.
@Suite("waiting in tests")
struct WaitingTests {
    @Test func aConditionThatComesTrueLaterIsSeen() throws {
        var looks = 0
        try waitUntil("the third look") {
            looks += 1
            return looks == 3
        }
        #expect(looks == 3)
    }

    @Test func aWaitInVainThrowsNamingWhatItWaitedFor() {
        var looks = 0
        #expect(!eventually(within: 0.05) { looks += 1; return false })
        #expect(looks >= 2, "looked once more at the deadline")
        #expect {
            try waitUntil("a file that never comes", timeout: 0.05) { false }
        } throws: { error in
            "\(error)".contains("a file that never comes")
        }
    }
}
