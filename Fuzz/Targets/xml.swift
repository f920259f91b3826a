// libFuzzer entry for the xml target: the reader of the shared store's S3 and STS replies.
// Built by Fuzz/build; the checks are in Fuzz/Harness/XMLReplyTarget.swift.
import MusterFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let problems = XMLReplyTarget.check(Array(UnsafeBufferPointer(start: data, count: size)))
    if !problems.isEmpty { fatalError("invariant broken:\n" + problems.joined(separator: "\n")) }
    return 0
}
