import MusterBasics
import MusterFormat

/// The runbook's chat webhook (`notify_webhook`): a message at each of the
/// run's milestones, as `{"text": ...}` (Slack and compatible hooks take it,
/// escaped for them), masked. A webhook that fails is reported and never
/// stops the run.
struct ChatNotifier {
    let url: String
    /// `[DRILL name: runbook]` or `[runbook]`, before every message.
    let label: String
    let runID: String

    /// Nil when the runbook names no webhook or its secret has no value,
    /// and in a replay drill, which reaches nobody: not even the team's chat.
    init?(_ setup: RunSetup) {
        guard setup.drill?.replayOf == nil, let secret = setup.runbook.notifyWebhook, let url = setup.secrets[secret] else { return nil }
        self.url = url
        label = setup.drill.map { "DRILL \($0.name): \(setup.runbook.name)" } ?? setup.runbook.name
        runID = setup.runID
    }

    /// Posts `text`; the signal that cut the post short, if one did: the
    /// post is abandoned, but the signal still means "stop".
    func post(_ text: String, elapsed: Double, via http: HTTPPerformer) -> Signal? {
        let console = http.host.console
        let message = chatEscaped(http.host.masker.mask("[\(label)] \(text) (run \(runID), \(formatSeconds(elapsed)) elapsed)"))
        let body = JSON.object([("text", .string(message))]).serialized()
        do {
            let reply = try http.send(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body, timeout: 5)
            if !(200..<300).contains(reply.status) {
                console.show(.warning("the notification webhook answered \(reply.status); the run goes on"))
            }
        } catch {
            if let sig = error.signal {
                console.show(.warning("the notification webhook was abandoned: \(sig.pauseText)"))
                return sig
            }
            console.show(.warning("the notification webhook failed (\(http.host.masker.mask(error.message))); the run goes on"))
        }
        return nil
    }
}
