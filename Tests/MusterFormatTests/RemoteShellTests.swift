import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterTesting
import MusterYAML
import MusterTestSupport
import Testing

/// Values sent to another host: a real OpenSSH server on 127.0.0.1 (this
/// machine stands in for the remote one). The refused shapes really run a
/// value as code there, and the safe ways the refusals name keep it data.
@Suite("Values on another host (real sshd)", .serialized, .enabled(if: SSHServer.available))
struct RemoteShellTests {
    /// Single-line hostile values: `read -r` on the other side takes one line.
    static let hostile = ["INC-1 $(touch pwned-1)", "`touch pwned-2`", "x'; touch pwned-3; echo '", "x\"; touch pwned-4; echo \"", "a; touch pwned-5 #", "-oProxyCommand=touch pwned-6"]

    func template(_ text: String) -> Template {
        let node = Node(.scalar(text, plain: false), mark: Mark(line: 1, column: 1), endMark: Mark(line: 1, column: 1))
        return TemplateScanner(source: SourceText(path: "run", bytes: Array(text.utf8))).scan(node, text).0
    }

    @Test func refusedShapesRunTheValueRemotelyAndTheSafeWaysDoNot() throws {
        let server = try SSHServer()
        defer { server.stop() }
        // Written as a lexer that did not know ssh would write them, each runs the value on the host.
        let refused = [
            ("ssh h \"echo {{ v }}\"", "ssh h \"echo ${MUSTER_VALUE_v}\"", "$(touch pwned-remote)"),
            ("ssh h echo {{ v }}", "ssh h echo \"${MUSTER_VALUE_v}\"", "$(touch pwned-remote)"),
            ("ssh {{ v }} true", "ssh \"${MUSTER_VALUE_v}\" true", "-oProxyCommand=touch pwned-remote"),
        ]
        for (text, oldCode, value) in refused {
            #expect(template(text).shellCode() == nil, "accepted: \(text)")
            _ = try server.run(oldCode, value: value)
            #expect(server.pwned() == ["pwned-remote"], "\(text) did not run the value on the host")
            server.clean()
        }
        // The safe ways: on stdin, and a host after --.
        let onStdin = try #require(template("printf '%s\\n' {{ v }} | ssh h 'read -r v; printf \"%s\" \"$v\"'").shellCode())
        let hostAfterDashes = try #require(template("ssh -- {{ v }} true").shellCode())
        for value in Self.hostile {
            let (status, out) = try server.run(onStdin, value: value)
            #expect(status == 0)
            #expect(out == value, "\(value) arrived as \(out)")
            _ = try server.run(hostAfterDashes, value: value)
            #expect(server.pwned().isEmpty, "\(value) ran as code")
            server.clean()
        }
    }
}
