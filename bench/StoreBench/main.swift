#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterStore

// What one shared event costs, driven by bench/store.py: N events appended
// to the store (a conditional put each, as a run will write them), N
// appends lost (a put answered 412, then the GET of the winner's bytes),
// and the baseline the local journal already pays per event: one line
// appended to a file and fsynced. Prints one JSON object of per-event
// seconds. The AWS settings come from the environment (AWS_ENDPOINT_URL…).
let args = CommandLine.arguments
guard args.count == 4, let n = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: muster-store-bench s3://BUCKET/PREFIX N EVENT_BYTES\n".utf8))
    exit(2)
}
let bytes = [UInt8](repeating: UInt8(ascii: "x"), count: Int(args[3]) ?? 400)
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
}

do {
    let store = try S3Store(path: StorePath(parsing: args[1]), settings: StoreSettings.resolve(environment: ProcessInfo.processInfo.environment))
    let log = EventLog(store: store)
    let run = "bench-\(getpid())-\(Int(now()))"
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(run).jsonl").path
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    defer { close(fd); unlink(path) }
    // One of each first, unmeasured: connections and credentials warm.
    _ = try log.append(runID: run + "-warm", seq: 0, bytes: bytes)
    var local: [Double] = [], written: [Double] = [], lost: [Double] = []
    // Interleaved, so all three see the same load.
    for seq in 0..<n {
        local.append(timed { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }; fsync(fd) })
        written.append(try timed { guard try log.append(runID: run, seq: seq, bytes: bytes) == .written else { throw StoreError(.failed, "not written") } })
        lost.append(try timed { guard case .lost = try log.append(runID: run, seq: seq, bytes: [0x79] + bytes) else { throw StoreError(.failed, "not lost") } })
    }
    let follow = try timed { _ = try log.events(runID: run) }
    let out: [String: Any] = ["n": n, "event_bytes": bytes.count, "local_fsync": local, "put_written": written, "put_lost": lost, "follow_all_seconds": follow]
    FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: out))
} catch {
    FileHandle.standardError.write(Data("muster-store-bench: \(error)\n".utf8))
    exit(1)
}
