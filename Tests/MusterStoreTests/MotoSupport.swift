import Foundation
import MusterStore
import MusterTestSupport

extension MotoStore {
    func store(_ env: [String: String], _ path: String = "s3://muster-runs/team") throws -> S3Store {
        try S3Store(path: StorePath(parsing: path), settings: StoreSettings.resolve(environment: env))
    }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-store-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// What `body` threw, as a StoreError.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do { try body() } catch let e as StoreError { return e } catch { return StoreError(.failed, "not a StoreError: \(error)") }
    return nil
}
