import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTeam

/// "waiting for the store — 4s" while a store exchange takes more than 2 s:
/// rewritten every second on a terminal, every 10 s where answers come from
/// a pipe (a transcript keeps every line).
package final class WaitNotice {
    package let console: RunConsole
    private var shown = -1

    package init(console: RunConsole) { self.console = console }

    package func waited(_ seconds: Double) {
        let s = Int(seconds)
        let every = console.isInteractive ? 1 : 10
        guard shown < 0 || s < shown || s - shown >= every else { return }
        shown = s
        console.show(.progress("waiting for the store — \(s)s"))
    }
}
