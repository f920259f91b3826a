// libFuzzer entry for the journal target: the journal reader and what is built from a journal.
// Built by Fuzz/build; the checks are in Fuzz/Harness/JournalTarget.swift.
import MusterFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let problems = JournalTarget.check(Array(UnsafeBufferPointer(start: data, count: size)))
    if !problems.isEmpty { fatalError("invariant broken:\n" + problems.joined(separator: "\n")) }
    return 0
}
