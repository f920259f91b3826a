import MusterBasics
import MusterFormat

extension JournalEvent {
    /// Masks every field a secret can hide in, before the event is
    /// journaled: text, values, outputs, tails, answers, leftovers' command
    /// lines and the run's parameters. A value or output that held one is
    /// named in `masked`, so a resume knows to ask for it again.
    package mutating func mask(with masker: Masker) {
        text = text.map(masker.mask)
        if let v = value, masker.mask(v) != v {
            value = masker.mask(v)
            masked = [name ?? ""]
        }
        tail = tail?.map(masker.mask)
        contact = contact.map(masker.mask)
        answer = answer.map(masker.mask)
        outcome = outcome.map(masker.mask)
        leftovers = leftovers?.map { Leftover(pid: $0.pid, command: masker.mask($0.command), kept: $0.kept) }
        if let found = outputs {
            let changed = found.filter { masker.mask($0.value) != $0.value }.keys.sorted()
            outputs = found.mapValues(masker.mask)
            if !changed.isEmpty { masked = changed }
        }
        if var info = run {
            info.params = info.params.mapValues(masker.mask)
            info.preflightFailed = info.preflightFailed?.map(masker.mask)
            run = info
        }
    }
}
