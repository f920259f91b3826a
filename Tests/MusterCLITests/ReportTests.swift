import Foundation
import MusterTestSupport
import Testing

/// A copy of `Fixtures/drills-repo` outside any git repository: five
/// runbooks (one without a drill), four drills (three scheduled), records of three drills (a failed
/// and an aborted run among them) and two records that do not read.
func drillsRepo() throws -> String {
    let dir = try temporaryDirectory()
    try sh("cp -R '\(fixtures)/drills-repo/.' .", cwd: dir)
    return dir
}

private let now = "2026-11-27T12:00:00Z"
private let warnings = """
    muster: warning: drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number
    muster: warning: drills/records/failover-quarterly/20260215T090000Z.json: not a drill record: not valid JSON

    """

/// The CLI's wiring of `report` and `due`: the commands, their flags, the
/// exit codes, which drill an argument names, paths against the current
/// folder, colour at a terminal. What the reports say (records read and
/// refused, text, JSON, HTML, what is due) is ReportEngineTests' in-process.
@Suite("muster report")
struct ReportCommandTests {
    @Test func textReportAndHTML() throws {
        let repo = try drillsRepo()
        let r = try muster(["report", "--html", "report.html"], cwd: repo)
        #expect(r.status == 0)
        #expect(r.stderr == warnings)
        #expect(!r.stdout.contains("\u{1B}"))
        let written = "\nHTML report written to report.html\n"
        #expect(r.stdout.hasSuffix(written))
        try assertSnapshot(String(r.stdout.dropLast(written.count)), named: "report.txt")
        let html = try String(contentsOfFile: repo + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains(">failover-quarterly</h2>"))
    }

    @Test func drillArgumentsAreNamesOrFilesElseAUsageError() throws {
        let repo = try drillsRepo()
        let r = try muster(["report", "db-restore-monthly", "drills/legacy-dns-adhoc.yaml"], cwd: repo)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("db-restore-monthly  ·  runbook db-restore  ·  RTO 30m\n"))
        #expect(r.stdout.contains("\nlegacy-dns-adhoc  ·  "))
        #expect(!r.stdout.contains("failover-quarterly"))
        // Only the named drills' records are read.
        #expect(r.stderr == "muster: warning: drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number\n")

        let typo = try muster(["report", "failover-quartely"], cwd: repo)
        #expect(typo.status == 2)
        #expect(typo.stdout == "")
        #expect(typo.stderr == "muster: no drill 'failover-quartely': no drills/failover-quartely.yaml and no records in drills/records/failover-quartely. Did you mean 'failover-quarterly'?\n")
        let other = try muster(["report", "zzz"], cwd: repo)
        #expect(other.status == 2)
        #expect(other.stderr.contains("Known drills: cache-flush-weekly, db-restore-monthly, failover-quarterly, legacy-dns-adhoc."))
    }

    @Test func recordsDirElsewhere() throws {
        let repo = try drillsRepo()
        try sh("mkdir -p elsewhere && mv drills/records/legacy-dns-adhoc elsewhere/ && rm -r drills/records", cwd: repo)
        let r = try muster(["report", "--records-dir", "elsewhere", "--json"], cwd: repo)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["runs"] as? Int } == [0, 0, 0, 1])
        #expect(object["records_dir"] as? String == "elsewhere")
    }

    @Test func emptyRepository() throws {
        let r = try muster(["report"], cwd: try temporaryDirectory())
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("No drills yet"))
    }

    @Test func htmlToAMissingFolderIsAUsageError() throws {
        let r = try muster(["report", "--html", "no/such/dir/r.html"], cwd: try drillsRepo())
        #expect(r.status == 2)
        #expect(r.stderr.hasSuffix("muster: cannot write no/such/dir/r.html: no folder no/such/dir\n"))
    }
}

@Suite("muster due")
struct DueCommandTests {
    @Test func overdueAndStaleExitOne() throws {
        let r = try muster(["due", "--now", now], cwd: try drillsRepo())
        #expect(r.status == 1)
        #expect(r.stderr == warnings)
        try assertSnapshot(r.stdout, named: "due.txt")
    }

    @Test func nothingDueExitsZero() throws {
        let r = try muster(["due", "--now", "2026-10-15T00:00:00Z", "--stale-after", "1w", "--json"], cwd: try temporaryDirectory())
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr == "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["due"] as? Bool == false)
        #expect(object["now"] as? String == "2026-10-15T00:00:00Z" && object["stale_after_seconds"] as? Int == 604800)
    }

    @Test func usageErrorsExitTwo() throws {
        let repo = try drillsRepo()
        let r = try muster(["due", "--now", "yesterday"], cwd: repo)
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == "muster: --now 'yesterday' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27\n")
        #expect(try muster(["due", "--stale", "9d"], cwd: repo).status == 2)
    }

    @Test func colourOnlyOnATerminal() throws {
        let repo = try drillsRepo()
        let plain = try muster(["due", "--now", now], cwd: repo, env: ["NO_COLOR": ""])
        #expect(!plain.stdout.contains("\u{1B}"))
        let term = try Tmux(cwd: repo)
        try term.type("\(musterBinary) due --now \(now) 2>/dev/null; echo exit=$?")
        _ = try term.waitFor("exit=1")
        let screen = try term.screen(escapes: true)
        #expect(screen.contains("\u{1B}[31m"))  // overdue in red
        #expect(screen.contains("overdue"))
    }
}

@Suite("validate beside drill records and CI files")
struct ValidateDrillFoldersTests {
    @Test func recordsAndCIFilesAreNotCheckedAsDrills() throws {
        let repo = try drillsRepo()
        // drills/ci/github-actions.yml is a workflow and drills/records/ holds JSON: neither is a drill.
        let r = try muster(["validate"], cwd: repo)
        #expect(r.stderr == "")
        #expect(r.status == 0)
        #expect(r.stdout == "ok: 9 files valid (5 runbooks, 4 drills)\n")
        let folder = try muster(["validate", "drills"], cwd: repo)
        #expect(folder.status == 0 && folder.stdout == "ok: 4 files valid (0 runbooks, 4 drills)\n")
        // Named on its own, a CI file is checked (and is not a runbook).
        let named = try muster(["validate", "drills/ci/github-actions.yml"], cwd: repo)
        #expect(named.status == 1)
    }

    @Test func aFolderNamedCIElsewhereIsStillChecked() throws {
        let repo = try drillsRepo()
        try sh("mkdir -p runbooks/ci && cp runbooks/cache-flush.yaml runbooks/ci/cache-flush-ci.yaml && sed -i 's/name: cache-flush/name: cache-flush-ci/' runbooks/ci/cache-flush-ci.yaml", cwd: repo)
        let r = try muster(["validate"], cwd: repo)
        #expect(r.stdout == "ok: 10 files valid (6 runbooks, 4 drills)\n", "\(r.stderr)")
    }
}

@Suite("drills/ci examples")
struct CIExampleTests {
    /// The workflow and the CronJob parse, schedule with valid cron, and run
    /// the commands the docs say they run.
    @Test func workflowAndCronJobSayWhatTheDocsSay() throws {
        let script = """
        import json, yaml
        wf = yaml.safe_load(open('drills/ci/github-actions.yml'))
        cj = yaml.safe_load(open('drills/ci/cronjob.yaml'))
        pf = yaml.safe_load(open('drills/ci/preflight-cronjob.yaml'))
        on = wf[True]  # YAML 1.1 reads the key `on` as true
        steps = wf['jobs']['drills']['steps']
        runs = '\\n'.join(s.get('run', '') for s in steps)
        uses = [s.get('uses', '') for s in steps]
        job = cj['spec']['jobTemplate']['spec']
        pod = job['template']['spec']
        print(json.dumps({
            'crons': [on['schedule'][0]['cron'], cj['spec']['schedule']],
            'auto': wf['env']['AUTO_DRILL'],
            'due': 'muster due' in runs, 'drill': 'muster drill "$AUTO_DRILL" --yes' in runs,
            'commit': 'git add drills/records' in runs and 'git push' in runs,
            'upload': any(u.startswith('actions/upload-artifact@') for u in uses),
            'write': wf['jobs']['drills']['permissions']['contents'] == 'write',
            'kind': cj['apiVersion'] + ' ' + cj['kind'],
            'command': pod['containers'][0]['command'][:2],
            'retries': job['backoffLimit'], 'restart': pod['restartPolicy'], 'tz': cj['spec']['timeZone'],
            'preflight': 'muster preflight' in '\\n'.join(s.get('run', '') for s in wf['jobs']['preflight']['steps']),
            'nightly': [on['schedule'][1]['cron'], pf['spec']['schedule']],
            'pfcommand': pf['spec']['jobTemplate']['spec']['template']['spec']['containers'][0]['command'],
        }))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(facts["due"] as? Bool == true && facts["drill"] as? Bool == true)
        #expect(facts["commit"] as? Bool == true && facts["upload"] as? Bool == true && facts["write"] as? Bool == true)
        #expect(facts["kind"] as? String == "batch/v1 CronJob")
        #expect(facts["command"] as? [String] == ["muster", "due"])
        #expect(facts["retries"] as? Int == 0 && facts["restart"] as? String == "Never" && facts["tz"] as? String == "Etc/UTC")
        // The nightly preflight, from both.
        #expect(facts["preflight"] as? Bool == true)
        #expect(facts["nightly"] as? [String] == ["23 2 * * *", "23 2 * * *"])
        #expect(facts["pfcommand"] as? [String] == ["muster", "preflight"])

        // The drill the workflow runs exists, and both schedules are cron as muster reads it.
        let auto = try #require(facts["auto"] as? String)
        #expect(FileManager.default.fileExists(atPath: packageRoot + "/drills/\(auto).yaml"))
        let dir = try temporaryDirectory()
        try sh("mkdir runbooks drills && cp '\(packageRoot)/runbooks/'*.yaml runbooks/", cwd: dir)
        for (i, cron) in (facts["crons"] as? [String] ?? []).enumerated() {
            try "muster: 1\ndrill: ci-\(i)\nrunbook: region-failover\nschedule: \"\(cron)\"\n".write(toFile: "\(dir)/drills/ci-\(i).yaml", atomically: true, encoding: .utf8)
        }
        let r = try muster(["validate", "drills"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2 drills"))
    }
}
