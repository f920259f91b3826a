// libFuzzer entry for the template target: the template scanner and expander and shell quoting.
// Built by Fuzz/build; the checks are in Fuzz/Harness/TemplateTarget.swift.
import MusterFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let problems = TemplateTarget.check(Array(UnsafeBufferPointer(start: data, count: size)))
    if !problems.isEmpty { fatalError("invariant broken:\n" + problems.joined(separator: "\n")) }
    return 0
}
