// libFuzzer entry for the runbook target: the runbook and drill loader and validator.
// Built by Fuzz/build; the checks are in Fuzz/Harness/RunbookTarget.swift.
#if canImport(Glibc)
import Glibc
#endif
import MusterFuzz

let target: RunbookTarget = {
    let t = RunbookTarget()
    // libFuzzer ends a run with exit(): take the scratch repository along.
    atexit { target.remove() }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let problems = target.check(Array(UnsafeBufferPointer(start: data, count: size)))
    if !problems.isEmpty { fatalError("invariant broken:\n" + problems.joined(separator: "\n")) }
    return 0
}
