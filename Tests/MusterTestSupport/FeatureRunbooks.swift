/// Runbooks that a feature's in-process engine suite (MusterEngineTests)
/// and its end-to-end smoke suite (MusterCLITests) both run: one text, so
/// the two suites keep testing the same runbook.
public enum FeatureRunbooks {
    /// A `decide` step steering two `when:` steps.
    public static let decision = """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        steps:
          - id: declare
            title: Declare
            manual: [Open the incident]
          - id: go-no-go
            title: Fail over now?
            decide:
              options: [failover, wait-15m, abort]
          - id: switch
            title: Switch ({{ go-no-go }})
            when: go-no-go == "failover"
            run: echo "switched after $0" > switched.txt
          - id: hold
            title: Hold
            when: go-no-go != "failover"
            run: touch held.txt
        """

    /// A group and `finally`.
    public static let flow = """
        muster: 1
        name: flow
        title: Flow
        steps:
          - id: first
            title: First
            run: echo one
          - id: rebuild
            title: Rebuild
            steps:
              - {id: create, title: Create, run: 'echo created > created.txt'}
              - {id: confirm, title: Confirm, manual: [The cluster is up]}
              - {id: deploy, title: Deploy, run: 'exit 4', on_failure: abort}
          - id: never
            title: Never reached
            run: touch never.txt
        finally:
          - id: cleanup
            title: Clean up
            run: echo cleaned > cleaned.txt
        """

    /// A checklist, an `ask` and an escalation ladder, and the commands the answers flow into.
    public static let checklist = """
        muster: 1
        name: check
        title: Checklist and commands
        escalation:
          - after: 30m
            contact: Secondary on-call
        steps:
          - id: declare
            title: Declare the incident
            manual:
              - Open an incident
              - Page the incident commander
            ask:
              incident: Incident ID
          - id: record
            title: Record {{ incident }}
            run: echo "incident {{ incident }}" > incident.txt
        """

    /// Three steps with rollbacks, the last failing into `on_failure: rollback`.
    public static let gateChain = """
        muster: 1
        name: chain
        title: Chain
        steps:
          - id: stop-writes
            title: Stop writes
            run: echo stop >> log.txt
            rollback: echo undo-stop >> log.txt
          - id: promote
            title: Promote
            run: echo promote >> log.txt
            rollback: echo undo-promote >> log.txt
          - id: switch-dns
            title: Switch DNS
            run: echo half-switched >> log.txt; exit 1
            on_failure: rollback
            rollback: echo undo-switch >> log.txt
        """

    /// A runbook with an escalation ladder, for training drills.
    public static let training = """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        escalation:
          - after: 10m
            contact: Secondary on-call (PagerDuty platform-secondary)
          - after: 20m
            contact: Incident commander on duty
        steps:
          - id: create
            title: Create the cluster
            run: echo created
        """

    /// `drills/practice.yaml`: a training drill of `training`, with an unavailable rung and a fault.
    public static let trainingDrill = """
        muster: 1
        drill: practice
        runbook: failover
        scenario: |
          It is 03:10. The **primary region** is failing.
          The secondary on-call is on a flight.
        unavailable: [Secondary on-call]
        faults:
          - step: create
            fail: "InsufficientCapacity: not enough capacity in eu-central-1c"
        expect_escalation:
          within: 5m
          contact: Incident commander
        """

    /// `http` steps against a site at `base` that answers by path as
    /// server.py does: JSON outputs carried into a header and a body, a
    /// token from the environment, a POST's status, an HTTP wait.
    public static func httpSteps(base: String) -> String {
        """
        muster: 1
        name: h
        title: HTTP
        params:
          base: {default: "\(base)"}
        secrets:
          API_TOKEN: {env: API_TOKEN}
        steps:
          - id: cluster
            title: Describe the cluster
            http:
              url: "{{ base }}/json"
              body_contains: arn
            outputs:
              arn: {json: cluster.arn}
              team: {json: cluster.tags.1.team}
          - id: headers
            title: Send the token
            http:
              url: "{{ base }}/headers"
              headers: {Authorization: "Bearer ${API_TOKEN}", X-Team: "{{ team }}"}
              body_contains: '"x-team": "platform"'
          - id: post
            title: Post
            http:
              method: POST
              url: "{{ base }}/hook"
              body: '{"text": "{{ arn }}"}'
              status: 201
          - id: poll
            title: Wait for ok
            wait:
              http: {url: "{{ base }}/ok", body_contains: ok}
              every: 1s
              timeout: 5s
        """
    }

    /// A guard watching for `broken`, which the second step creates.
    public static func guarded(name: String, onBreach: String) -> String {
        """
        muster: 1
        name: \(name)
        title: Guarded
        guards:
          - id: health
            title: The service answers
            run: test ! -e broken
            every: 1s
            on_breach: \(onBreach)
        steps:
          - {id: prepare, title: Prepare, run: 'touch prepared', rollback: 'touch prepare.undone'}
          - {id: break, title: Break it, run: 'touch broken; sleep 30; touch break.done', timeout: 60s}
          - {id: after, title: After, run: 'touch after.done'}
        finally:
          - {id: tell, title: Tell the channel, run: 'touch told'}
        """
    }

    /// Two branches that each wait to meet the other: `meet(me, other)` is
    /// the command a branch runs (a real rendezvous in the smoke suite, a
    /// runner's rule in the engine's).
    public static func rebuild(name: String, max: String = "", onFailure: String = "finish", meet: (String, String) -> String) -> String {
        """
        muster: 1
        name: \(name)
        title: Rebuild
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              \(max)
              on_failure: \(onFailure)
              branches:
                - id: cluster
                  title: Cluster
                  steps:
                    - {id: create, title: Create, run: '\(meet("cluster", "database"))', timeout: 30s}
                    - {id: check, title: Check, run: 'echo cluster checked'}
                - id: database
                  title: Database
                  run: '\(meet("database", "cluster"))'
                  timeout: 30s
          - {id: after, title: After, run: 'touch after.done'}
        """
    }

    /// An incident runbook with an RTO, an RPO (a recovery point among the
    /// outputs), an escalation and a restore that fails with 3.
    public static let restore = """
        muster: 1
        name: restore
        title: Restore the database
        rto: 1h
        rpo: 1h
        escalation:
          - after: 15m
            contact: Secondary on-call
        steps:
          - id: declare
            title: Declare the incident
            manual: [Open the incident channel, Page the commander]
          - id: snapshot
            title: Find the snapshot
            run: echo "snapshot_time=$(date -u -d '-30 minutes' +%Y-%m-%dT%H:%M:%SZ)"
            outputs:
              snapshot_time: {regex: 'snapshot_time=(\\S+)', recovery_point: true}
          - id: restore-the-primary-database-from-the-newest-snapshot
            title: Restore
            run: echo restoring; exit 3
            expect: 10m
          - id: verify
            title: Verify
            manual: [Check the application]
        """

    /// A drill's runbook with a parameter, a checklist, a command and an
    /// HTTP probe of a server that is not there.
    public static let integrity = """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        params:
          region: {required: true}
        steps:
          - id: declare
            title: Declare
            manual: [Open the incident]
          - id: create
            title: Create
            run: echo created in {{ region }} > created.txt
          - id: probe
            title: Probe
            http: {url: "http://127.0.0.1:9/health/{{ region }}", status: 200}
        """

    /// The drill of `integrity`.
    public static let integrityDrill = """
        muster: 1
        drill: failover-drill
        runbook: failover
        params: {region: eu-north-1}
        """

    /// Faults for `integrityDrill`: one at the command, one at the probe.
    public static let integrityFaults = """

        faults:
          - step: create
            fail: "AccessDeniedException: not authorized"
            times: 1
          - step: probe
            fail: "connection refused by the load balancer"
            times: 1
        """

    /// A drill's runbook with an RTO, an RPO and a recovery point among
    /// the outputs, two checklists and two commands.
    public static let evidence = """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        rpo: 1h
        steps:
          - id: declare
            title: Declare
            manual: [Open the incident, Page the commander]
          - id: snapshot
            title: Find the snapshot
            run: echo "snapshot_time=$(date -u -d '-30 minutes' +%Y-%m-%dT%H:%M:%SZ)"
            outputs:
              snapshot_time: {regex: 'snapshot_time=(\\S+)', recovery_point: true}
          - id: restore
            title: Restore
            run: echo restored
          - id: verify
            title: Verify
            manual: [Check it]
        """

    /// A drill's runbook: a parameter, two checklists and a command with an `expect`.
    public static let drillCommand = """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        params:
          region: {required: true}
        steps:
          - id: declare
            title: Declare
            manual: [Open the incident, Page the commander]
          - id: create
            title: Create in {{ region }}
            run: echo created in "$REGION" > created.txt
            expect: 1m
          - id: verify
            title: Verify
            manual: [Check it]
        """

    /// The drill of `drillCommand`, with its own RTO.
    public static let drillCommandDrill = """
        muster: 1
        drill: failover-drill
        runbook: failover
        params: {region: eu-north-1}
        rto: 20m
        """

    /// A template where its value would become code: inside arithmetic,
    /// and inside a quoted heredoc.
    public static let templateAsCode = """
        muster: 1
        name: arith
        title: Arithmetic
        params:
          count: {default: "3"}
        steps:
          - id: scale
            title: Scale
            run: echo $(( {{ count }} + 1 ))
          - id: quoted
            title: Quoted heredoc
            run: |
              cat <<'EOF'
              {{ count }}
              EOF
        """

    /// A value handed to ssh and to `declare -i`; `type` is appended to
    /// the parameter's declaration (`", type: int"` or nothing).
    public static func remote(type: String) -> String {
        """
        muster: 1
        name: remote
        title: Remote
        params:
          v: {default: "3"\(type)}
        steps:
          - id: remote
            title: Remote
            run: ssh h "echo {{ v }}"
          - id: lag
            title: Lag
            run: declare -i n={{ v }}; echo $((n + 1))
        """
    }

    /// Environment names whose value decides what bash and the programs it
    /// starts run; `envDecidingWhatRuns` sets each from a parameter.
    public static let envNamesThatDecideWhatRuns = [
        "BASH_ENV", "KUBECONFIG", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0", "GIT_CONFIG_PARAMETERS", "PYTHONHOME", "LESSOPEN",
        "GCONV_PATH", "LD_PRELOAD", "PATH",
    ]

    public static let envDecidingWhatRuns = """
        muster: 1
        name: env
        title: Env
        params:
          dir: {default: evil.sh}
          git_config_count: {default: "1"}
          kubeconfig: {default: x}
        env:
        \(envNamesThatDecideWhatRuns.map { "  \($0): \"{{ dir }}\"" }.joined(separator: "\n"))
          AWS_REGION: "{{ dir }}"
        steps:
          - id: go
            title: Go
            run: echo go
        """
}
