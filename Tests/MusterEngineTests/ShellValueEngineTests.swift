import MusterTestSupport
import Testing

/// Where a value would become code, `muster validate`'s refusals in-process,
/// at their line and column: arithmetic, a quoted heredoc, ssh, `declare
/// -i`, and names that would be exported as PATH or BASH_ENV. That a
/// refused runbook does not run, and that values stay data in a real shell
/// and out of `ps`, are ShellValueTests' (real processes).
@Suite("Values that would become code are refused, in-process")
struct ShellValueEngineTests {
    @Test func aTemplateWhereItWouldBecomeCodeIsAValidationErrorAtItsPosition() throws {
        let problems = try catalogProblems(["arith": FeatureRunbooks.templateAsCode], in: "arith")
        #expect(problems.contains { $0.contains("arith.yaml:9:19: error: '{{ count }}' cannot be used here: a value inside arithmetic is evaluated as code") }, "\(problems)")
        #expect(problems.contains { $0.contains("arith.yaml:14:7: error: '{{ count }}' cannot be used here: the heredoc ending at 'EOF' is quoted") }, "\(problems)")
    }

    @Test func sshAndDeclareIntAreRefusedUntilTheValueIsTyped() throws {
        let text = FeatureRunbooks.remote(type:)
        let problems = try catalogProblems(["remote": text("")], in: "remote")
        #expect(problems.contains { $0.contains("remote.yaml:9:22: error: '{{ v }}' cannot be used here: ssh sends the rest of its command line to the remote shell, which runs it as code; send the value on stdin instead, where it stays data: printf '%s\\n' {{ v }} | ssh HOST 'read -r v;") }, "\(problems)")
        #expect(problems.contains { $0.contains("remote.yaml:12:23: error: '{{ v }}' cannot be used here: declare -i evaluates the value as arithmetic, which runs code in a[$(cmd)]; declare the value `type: int`") }, "\(problems)")
        let typed = text(", type: int").replacingOccurrences(of: "ssh h \"echo {{ v }}\"", with: "printf '%s\\n' {{ v }} | cat")
        #expect(try catalogProblems(["remote": typed], in: "remote") == [])
    }

    @Test func aParameterThatWouldBeExportedAsPathOrBashEnvIsRefused() throws {
        let problems = try catalogProblems(["env": """
        muster: 1
        name: env
        title: Env
        params:
          path: {default: /usr/bin}
          bash_env: {default: ""}
          ld_preload: {default: ""}
          region: {default: eu-north-1}
        steps:
          - id: go
            title: Go
            run: echo go
        """], in: "env")
        for (name, variable) in [("path", "PATH"), ("bash_env", "BASH_ENV"), ("ld_preload", "LD_PRELOAD")] {
            #expect(problems.contains { $0.contains("parameter name '\(name)' would be exported to the steps as \(variable)") }, "\(problems)")
        }
        #expect(problems.count == 3 && !problems.contains { $0.contains("'region'") }, "\(problems)")
    }

    @Test func anEnvNameThatDecidesWhatRunsIsRefusedLikeAParameterName() throws {
        let names = FeatureRunbooks.envNamesThatDecideWhatRuns
        let problems = try catalogProblems(["env": FeatureRunbooks.envDecidingWhatRuns], in: "env")
        for name in names {
            #expect(problems.contains { $0.contains("env name '\(name)' sets \(name), which decides what bash and the programs it starts run") }, "\(name): \(problems)")
        }
        #expect(problems.contains { $0.contains("parameter name 'git_config_count' would be exported to the steps as GIT_CONFIG_COUNT") })
        #expect(problems.contains { $0.contains("parameter name 'kubeconfig' would be exported to the steps as KUBECONFIG") })
        #expect(!problems.contains { $0.contains("'AWS_REGION'") }, "\(problems)")
    }
}
