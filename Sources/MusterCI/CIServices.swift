#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// One type per provider, behind the core's `CIService`. Each sends only
/// through the `CIClient` it is handed (the executor's send path, which
/// marks secret-bearing headers) and builds every URL from the step's `url`
/// with `percentEncoded`, never from a server's answer, so a token only
/// goes to the server the runbook names.
public enum CIServices {
    public static func make(_ s: CIStepSettings) -> Result<any CIService, CIFailure> {
        switch s.provider {
        case .buildbot: Buildbot.make(s)
        case .github: GitHubActions.make(s)
        case .gitlab: GitLabCI.make(s)
        case .jenkins: Jenkins.make(s)
        }
    }

    static func needToken(_ s: CIStepSettings) -> Result<(value: String, secret: String), CIFailure> {
        guard let t = s.token else {
            return .failure(CIFailure("cannot run: the \(s.provider.rawValue) provider needs 'token', the name of a declared secret holding an API token"))
        }
        return .success(t)
    }
}

extension CIClient {
    /// A request whose answer is JSON of type `T`.
    func fetch<T: Decodable>(_ type: T.Type, _ request: CIRequest) -> Result<(T, HTTPReply), CIFailure> {
        send(request).flatMap { reply in
            do {
                return .success((try JSONDecoder().decode(T.self, from: Data(reply.body.utf8)), reply))
            } catch {
                let json = (try? JSONDecoder().decode(JSON.self, from: Data(reply.body.utf8))) != nil
                return .failure(CIFailure("\(request.what): the CI server answered something that is not \(json ? "the JSON expected" : "JSON"): \(quoted(reply.body, limit: 80))"))
            }
        }
    }
}

extension String {
    /// The body of a JSON request.
    static func json(_ j: JSON) -> String { j.serialized() }
}
