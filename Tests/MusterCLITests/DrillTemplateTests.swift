#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// `drills/ci/Dockerfile` read as Docker reads it: continuation lines joined,
/// comments dropped, split into stages at each FROM. Only what the tests
/// below check (FROM, ARG, WORKDIR, COPY, RUN, LABEL) is kept.
struct Dockerfile {
    struct Stage {
        var from = ""
        var args: [String: String] = [:]
        var workdir = "/"
        var copies: [(source: String, destination: String)] = []
        var runs: [String] = []
        var labels: [String: String] = [:]
    }
    var stages: [Stage] = []

    init(path: String) throws {
        var logical: [String] = [], pending = ""
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || (trimmed.isEmpty && pending.isEmpty) { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
            } else {
                logical.append(pending + trimmed)
                pending = ""
            }
        }
        for line in logical where !line.isEmpty {
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            let rest = words.count > 1 ? words[1] : ""
            switch words[0] {
            case "FROM": stages.append(Stage(from: rest))
            case "ARG":
                let pair = rest.split(separator: "=", maxSplits: 1).map(String.init)
                stages[stages.count - 1].args[pair[0]] = pair.count > 1 ? pair[1] : ""
            case "WORKDIR": stages[stages.count - 1].workdir = rest
            case "COPY" where !rest.hasPrefix("--"):
                let parts = rest.split(separator: " ").map(String.init)
                stages[stages.count - 1].copies.append((parts[0], parts[1]))
            case "RUN": stages[stages.count - 1].runs.append(rest)
            case "LABEL":
                for m in rest.matches(of: /([A-Za-z0-9._-]+)="([^"]*)"/) { stages[stages.count - 1].labels[String(m.1)] = String(m.2) }
            default: break
            }
        }
    }

    /// The packages every `apt-get install` of a stage installs.
    static func aptPackages(_ stage: Stage) -> Set<String> {
        var packages = Set<String>()
        for run in stage.runs {
            for command in run.components(separatedBy: "&&") where command.contains("apt-get install") {
                packages.formUnion(command.split(separator: " ").map(String.init).filter { !$0.hasPrefix("-") && !["apt-get", "install"].contains($0) })
            }
        }
        return packages
    }
}

private let dockerfilePath = packageRoot + "/drills/ci/Dockerfile"

/// The image recipe against the package it builds, without Docker: what it
/// installs, which toolchain, which dependency versions.
@Suite("drills/ci/Dockerfile against Package.swift")
struct DockerfileTests {
    let file: Dockerfile
    let manifest: String

    init() throws {
        file = try Dockerfile(path: dockerfilePath)
        manifest = try String(contentsOfFile: packageRoot + "/Package.swift", encoding: .utf8)
    }

    /// Every apt package a systemLibrary target names as its provider is
    /// installed in the build stage, with pkg-config that finds them.
    @Test func theBuildStageInstallsEverySystemLibrary() throws {
        let build = try #require(file.stages.first)
        let providers = manifest.matches(of: /\.apt\(\[([^\]]*)\]\)/).flatMap { match in
            match.1.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        }
        #expect(providers.count >= 4, "\(providers)")
        let installed = Dockerfile.aptPackages(build)
        for package in providers + ["pkg-config"] {
            #expect(installed.contains(package), "the build stage does not install \(package)")
        }
    }

    /// The image builds with the toolchain the tests build with (major.minor):
    /// the code is only known to compile there.
    @Test func theBuildStageIsTheTestedToolchain() throws {
        let version = try sh("swift --version 2>&1", cwd: packageRoot)
        let local = try #require(version.firstMatch(of: /Swift version (\d+\.\d+)/)).1
        let from = try #require(file.stages.first?.from)
        #expect(from.hasPrefix("swift:\(local)-"), "FROM \(from), tests run on Swift \(local)")
    }

    /// The image says what it is in the OCI annotations registries and
    /// scanners read, its version the binary's own.
    @Test func theImageCarriesOCILabels() throws {
        let runtime = try #require(file.stages.last)
        let labels = runtime.labels
        #expect(labels["org.opencontainers.image.title"] == "muster")
        #expect(labels["org.opencontainers.image.description"]?.isEmpty == false)
        #expect(labels["org.opencontainers.image.version"] == "$MUSTER_VERSION")
        #expect(labels["org.opencontainers.image.revision"] == "$MUSTER_REVISION")
        #expect(labels["org.opencontainers.image.base.name"] == "docker.io/library/" + runtime.from)
        let version = try muster(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(runtime.args["MUSTER_VERSION"] == version)
        #expect(labels.keys.allSatisfy { $0.hasPrefix("org.opencontainers.image.") }, "\(labels.keys)")
    }

    /// Every tool the example runbooks `require` is in the runtime stage:
    /// installed by its apt package, or Essential in Debian (grep, sed,
    /// coreutils are in every bookworm-slim), as dpkg on this bookworm
    /// machine says.
    @Test func theRuntimeStageHasWhatTheExampleRunbooksRequire() throws {
        let script = """
        import glob, json, yaml
        tools = set()
        for path in glob.glob('runbooks/*.yaml'):
            tools.update(yaml.safe_load(open(path)).get('requires', []))
        print(json.dumps(sorted(tools)))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let tools = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String])
        #expect(tools.contains("aws"), "\(tools)")
        // The package that provides each command, by dpkg's file list.
        let installed = Dockerfile.aptPackages(try #require(file.stages.last))
        let providers = ["aws": "awscli"]
        for tool in tools {
            // With merged /usr, dpkg knows a command by /bin or /usr/bin.
            let package = try providers[tool] ?? sh("p=$(command -v \(tool)); { dpkg -S \"$p\" || dpkg -S \"${p#/usr}\"; } 2>/dev/null | head -1 | cut -d: -f1", cwd: packageRoot).trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(!package.isEmpty, "no package provides \(tool)")
            let essential = try sh("dpkg-query -W -f='${Essential}' \(package) 2>/dev/null || true", cwd: packageRoot) == "yes"
            #expect(installed.contains(package) || essential, "\(tool) (package \(package)) is not in the runtime stage")
        }
        for package in ["awscli", "jq", "curl"] { #expect(installed.contains(package), "\(package)") }
    }

    /// The version the image pins is the minimum Package.swift declares, so
    /// the two cannot drift apart.
    @Test func theImagePinsTheDeclaredVersion() throws {
        let declared = try #require(manifest.firstMatch(of: /swift-argument-parser", from: "([^"]+)"/)).1
        let build = try #require(file.stages.first)
        #expect(build.args["ARGUMENT_PARSER_VERSION"] == String(declared))
        let runs = build.runs.joined(separator: "\n")
        #expect(runs.contains("swift package resolve swift-argument-parser --version \"$ARGUMENT_PARSER_VERSION\""))
        #expect(runs.contains("--only-use-versions-from-resolved-file"))
    }
}

/// The templates through linters from PyPI (scripts/install-deps installs
/// them): GitHub's workflow schema and zizmor for the workflow, shellcheck
/// for every script in it and in the CronJobs, and the Kubernetes API schema
/// (kubernetes-validate, strict: unknown fields are errors) for the CronJobs.
/// Each linter is first shown a broken copy, so a linter that checks nothing
/// fails the test.
@Suite("drills/ci templates through linters")
struct DrillTemplateLintTests {
    @Test func theWorkflowMatchesGitHubsSchema() throws {
        let command = "check-jsonschema --builtin-schema vendor.github-workflows"
        let bad = attempt("\(command) '\(try broken("drills/ci/github-actions.yml", "runs-on:", "run-on:"))'")
        #expect(!bad.ok && bad.output.contains("'runs-on' is a required property"), "\(bad.output)")
        let good = attempt("\(command) drills/ci/github-actions.yml")
        #expect(good.ok, "\(good.output)")
    }

    /// zizmor's audits (permissions, template injection, credentials), with
    /// every action pinned by commit SHA (Fixtures/lint/zizmor.yml).
    @Test func theWorkflowPassesZizmor() throws {
        let command = "zizmor --offline --no-progress --config '\(fixtures)/lint/zizmor.yml'"
        let bad = attempt("\(command) '\(try broken("drills/ci/github-actions.yml", "\"$CI_URL\" < /dev/null", "\"${{ github.event.inputs.now }}\" < /dev/null"))'")
        #expect(!bad.ok && bad.output.contains("template-injection"), "\(bad.output)")
        let tag = attempt("\(command) '\(try broken("drills/ci/github-actions.yml", "actions/checkout@11d5960a326750d5838078e36cf38b85af677262", "actions/checkout@v4"))'")
        #expect(!tag.ok && tag.output.contains("unpinned-uses"), "\(tag.output)")
        let good = attempt("\(command) drills/ci/github-actions.yml")
        #expect(good.ok, "\(good.output)")
    }

    /// Every `uses:` is a full commit SHA with its release in a comment, and
    /// the same action is pinned to the same commit everywhere. The SHAs are
    /// those of the tags in the actions' repositories (read 2026-12-06).
    @Test func everyActionIsPinnedByCommitWithItsVersion() throws {
        let text = try String(contentsOfFile: packageRoot + "/drills/ci/github-actions.yml", encoding: .utf8)
        let uses = text.matches(of: /uses: ([^@\s]+)@(\S+)(.*)/).map { (String($0.1), String($0.2), String($0.3)) }
        #expect(uses.count == 10, "\(uses)")
        var pins: [String: String] = [:]
        for (action, ref, comment) in uses {
            #expect(ref.wholeMatch(of: /[0-9a-f]{40}/) != nil, "\(action)@\(ref) is not a commit SHA")
            #expect(comment.contains(/# v\d+\.\d+\.\d+/), "\(action)@\(ref) has no version comment")
            let repo = action.split(separator: "/").prefix(2).joined(separator: "/")
            #expect(pins[repo, default: ref] == ref, "\(repo) pinned to two commits")
            pins[repo] = ref
        }
        #expect(pins == [
            "actions/checkout": "11d5960a326750d5838078e36cf38b85af677262",
            "actions/cache": "0057852bfaa89a56745cba8c7296529d2fc39830",
            "aws-actions/configure-aws-credentials": "7474bc4690e29a8392af63c5b98e7449536d5c3a",
            "actions/upload-artifact": "ea165f8d65b6e75b540449e92b4886f43607fa02",
        ])
    }

    /// Preflight history survives between scheduled runs: the preflight job
    /// restores and saves .muster/preflight.json in the Actions cache, the
    /// drills job restores it before `muster due`.
    @Test func preflightHistoryIsKeptInTheCache() throws {
        let script = """
        import json, yaml
        wf = yaml.safe_load(open('drills/ci/github-actions.yml'))
        out = {}
        for name, job in wf['jobs'].items():
            steps = job['steps']
            names = [s.get('id') or s.get('name') or s.get('uses') for s in steps]
            caches = [(i, s['uses'].split('@')[0], s['with']) for i, s in enumerate(steps) if s.get('uses', '').startswith('actions/cache')]
            out[name] = {'caches': [[u, w['path'], w['restore-keys']] for _, u, w in caches],
                         'before': [names.index(n) for n in names if n in ('Preflight', 'due')],
                         'at': [i for i, _, _ in caches]}
        print(json.dumps(out))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String: [Any]]])
        #expect(jobs["preflight"]?["caches"] as? [[String]] == [["actions/cache", ".muster/preflight.json", "muster-preflight-"]])
        #expect(jobs["drills"]?["caches"] as? [[String]] == [["actions/cache/restore", ".muster/preflight.json", "muster-preflight-"]])
        for job in ["preflight", "drills"] {
            let at = try #require(jobs[job]?["at"] as? [Int]).first ?? .max
            let before = try #require(jobs[job]?["before"] as? [Int]).first ?? -1
            #expect(at < before, "\(job): the cache is restored after muster runs")
        }
    }

    /// Each job runs in the muster image as root: GitHub's runner writes files
    /// the job must write too (actions/checkout#956).
    @Test func jobContainersRunAsRoot() throws {
        let script = """
        import json, yaml
        wf = yaml.safe_load(open('drills/ci/github-actions.yml'))
        print(json.dumps({name: job.get('container', {}).get('options', '') for name, job in wf['jobs'].items()}))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let options = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String])
        #expect(options == ["runbook-tests": "--user root", "preflight": "--user root", "drills": "--user root"])
    }

    /// The scripts the templates run, through shellcheck: the workflow's
    /// `run:` blocks as GitHub runs them in a container with bash, the
    /// CronJobs' `sh -ec` scripts as sh.
    @Test func theirScriptsPassShellcheck() throws {
        let script = """
        import os, re, subprocess, sys, yaml
        def check(text, shell, name):
            text = re.sub(r'\\$\\{\\{[^}]*\\}\\}', 'x', text)  # a GitHub expression is a word
            r = subprocess.run(['shellcheck', '-s', shell, '-'], input=text, capture_output=True, text=True)
            if r.returncode: print(name + ':\\n' + r.stdout)
            return r.returncode == 0
        wf = yaml.safe_load(open(sys.argv[1]))
        ok, count = True, 0
        for job in wf['jobs'].values():
            for step in job['steps']:
                if 'run' in step:
                    ok &= check(step['run'], 'bash', step.get('name', step['run'][:30])); count += 1
        for path in sys.argv[2:]:
            pod = yaml.safe_load(open(path))['spec']['jobTemplate']['spec']['template']['spec']
            for c in pod.get('initContainers', []) + pod['containers']:
                if c.get('command', [])[:2] == ['sh', '-ec']:
                    ok &= check(c['command'][2], 'sh', path + ' ' + c['name']); count += 1
        print('checked', count)
        sys.exit(0 if ok else 1)
        """
        let crons = "drills/ci/cronjob.yaml drills/ci/preflight-cronjob.yaml"
        let bad = attempt("python3 -c \"$SCRIPT\" '\(try broken("drills/ci/github-actions.yml", "git add drills/records", "git add $(ls drills/records)"))' \(crons)", env: ["SCRIPT": script])
        #expect(!bad.ok && bad.output.contains("SC2046"), "\(bad.output)")
        let good = attempt("python3 -c \"$SCRIPT\" drills/ci/github-actions.yml \(crons)", env: ["SCRIPT": script])
        #expect(good.ok, "\(good.output)")
        #expect(good.output.contains("checked 10"), "\(good.output)")
    }

    /// A change to runbooks/ runs the runbook tests and nothing else: no
    /// drill, no preflight, no cloud credentials; a schedule or a manual run
    /// never runs the tests in their place. Read from both templates.
    @Test func aChangeToRunbooksRunsTheRunbookTestsAndNoDrill() throws {
        let script = """
        import json, yaml
        gh = yaml.safe_load(open('drills/ci/github-actions.yml'))
        on = gh[True]   # PyYAML reads the key `on` as true
        gl = yaml.safe_load(open('drills/ci/gitlab-ci.yml'))
        job = gh['jobs']['runbook-tests']
        print(json.dumps({
          'paths': [on['push']['paths'], on['pull_request']['paths']],
          'ifs': {n: j['if'] for n, j in gh['jobs'].items()},
          'perms': job['permissions'],
          'runs': [s['run'] for s in job['steps'] if 'run' in s],
          'gl_rules': gl['runbook-tests']['rules'],
          'gl_script': gl['runbook-tests']['script'],
          'gl_aws': gl['runbook-tests'].get('extends'),
          'gl_others': [gl[j]['rules'] for j in ('preflight', 'drills')],
        }))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let t = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(t["paths"] as? [[String]] == [["runbooks/**"], ["runbooks/**"]])
        let ifs = try #require(t["ifs"] as? [String: String])
        #expect(ifs["runbook-tests"] == "github.event_name == 'push' || github.event_name == 'pull_request'")
        for job in ["preflight", "drills"] {
            let condition = try #require(ifs[job])
            #expect(!condition.contains("push") && !condition.contains("pull_request") && !condition.contains("!="), "\(job) may run on a push: \(condition)")
        }
        #expect(t["perms"] as? [String: String] == ["contents": "read"], "the tests need no token and no cloud")
        let runs = try #require(t["runs"] as? [String]).joined()
        #expect(runs.contains("muster validate --tests") && runs.contains("muster test --coverage --junit runbook-tests.xml"))
        let glRules = try #require(t["gl_rules"] as? [[String: Any]])
        #expect(glRules.count == 1 && glRules[0]["changes"] as? [String] == ["runbooks/**/*"])
        #expect((glRules[0]["if"] as? String)?.contains("merge_request_event") == true)
        #expect(t["gl_script"] as? [String] == ["muster validate --tests", "muster test --coverage --junit runbook-tests.xml"])
        #expect(t["gl_aws"] == nil || t["gl_aws"] is NSNull, "the runbook tests take no AWS token")
        let others = try #require(t["gl_others"] as? [[[String: Any]]])
        #expect(others.map { $0.compactMap { $0["if"] as? String } } == [["$MUSTER_JOB == \"preflight\""], ["$MUSTER_JOB == \"drills\""]])
    }

    @Test func theGitLabTemplateMatchesGitLabsSchema() throws {
        let command = "check-jsonschema --builtin-schema vendor.gitlab-ci"
        let bad = attempt("\(command) '\(try broken("drills/ci/gitlab-ci.yml", "  timeout: 10m", "  timeoutt: 10m"))'")
        #expect(!bad.ok && bad.output.contains("'timeoutt' was unexpected"), "\(bad.output)")
        let good = attempt("\(command) drills/ci/gitlab-ci.yml")
        #expect(good.ok, "\(good.output)")
    }

    /// The GitLab jobs' scripts through shellcheck (the image has bash, which
    /// GitLab's runner uses), and the preflight history in the cache: pushed
    /// by the preflight job, pulled by the drills job before `muster due`.
    @Test func theGitLabTemplatesScriptsAndCache() throws {
        let script = """
        import json, subprocess, sys, yaml
        d = yaml.safe_load(open(sys.argv[1]))
        text = '\\n'.join(line for j in ('.aws', 'runbook-tests', 'preflight', 'drills') for k in ('before_script', 'script') for line in d[j].get(k, []))
        r = subprocess.run(['shellcheck', '-s', 'bash', '-'], input=text, capture_output=True, text=True)
        print(r.stdout)
        print(json.dumps({j: [d[j]['cache']['key'], d[j]['cache']['paths'], d[j]['cache']['policy'], d[j].get('extends'), d['default']['image']['docker']['user']] for j in ('preflight', 'drills')}))
        sys.exit(r.returncode)
        """
        let bad = attempt("python3 -c \"$SCRIPT\" '\(try broken("drills/ci/gitlab-ci.yml", "git add drills/records", "git add $(ls drills/records)"))'", env: ["SCRIPT": script])
        #expect(!bad.ok && bad.output.contains("SC2046"), "\(bad.output)")
        let good = attempt("python3 -c \"$SCRIPT\" drills/ci/gitlab-ci.yml", env: ["SCRIPT": script])
        #expect(good.ok, "\(good.output)")
        let json = try #require(good.output.split(separator: "\n").last)
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [Any]])
        #expect(jobs["preflight"]?[0] as? String == "muster-preflight" && jobs["drills"]?[0] as? String == "muster-preflight")
        #expect(jobs["preflight"]?[1] as? [String] == [".muster/preflight.json"] && jobs["drills"]?[1] as? [String] == [".muster/preflight.json"])
        #expect(jobs["preflight"]?[2] as? String == "pull-push" && jobs["drills"]?[2] as? String == "pull")
        #expect(jobs["preflight"]?[3] as? String == ".aws" && jobs["drills"]?[4] as? String == "root")
    }

    @Test func theCronJobsMatchTheKubernetesSchema() throws {
        let command = "kubernetes-validate --strict"
        let bad = attempt("\(command) '\(try broken("drills/ci/cronjob.yaml", "restartPolicy: Never", "restartPolicyy: Never"))'")
        #expect(!bad.ok && bad.output.contains("'restartPolicyy' was unexpected"), "\(bad.output)")
        let good = attempt("\(command) drills/ci/cronjob.yaml drills/ci/preflight-cronjob.yaml")
        #expect(good.ok && good.output.contains("muster-due") && good.output.contains("muster-preflight"), "\(good.output)")
    }
}

/// The image's build stage, run here without Docker: a folder holding exactly
/// what its COPY lines copy, then its RUN lines but apt-get (the libraries
/// are installed on this machine by scripts/install-deps), with /out in the
/// folder. The folder is ~/.cache/muster/docker-build-stage (beside the
/// sandbox's tools) and keeps its own `.build` between runs, on any clone;
/// everything else in it is removed first, so a source file the COPY lines
/// miss still fails the build. Only the first run on a machine builds the
/// release from nothing (minutes on two cores); later ones compile what
/// changed. One run at a time (a lock beside the folder). In scripts/test's
/// heavy list.
@Suite("drills/ci/Dockerfile builds", .serialized)
struct DockerImageBuildTests {
    /// `python3 -c SYNC SOURCE DESTINATION`: DESTINATION becomes a copy of
    /// SOURCE (a file or a tree); files already the same are left alone,
    /// files that are not in SOURCE are removed.
    static let sync = """
    import filecmp, os, shutil, sys
    src, dst = sys.argv[1], sys.argv[2]
    def same(a, b):
        return os.path.isfile(b) and not os.path.islink(b) and filecmp.cmp(a, b, shallow=False)
    if os.path.isfile(src):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(dst): shutil.rmtree(dst)
        if not same(src, dst): shutil.copy2(src, dst)
        sys.exit(0)
    if os.path.exists(dst) and not os.path.isdir(dst): os.remove(dst)
    for root, dirs, files in os.walk(src):
        target = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(target, exist_ok=True)
        for name in set(os.listdir(target)) - set(dirs) - set(files):
            p = os.path.join(target, name)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
        for name in files:
            if not same(os.path.join(root, name), os.path.join(target, name)):
                if os.path.isdir(os.path.join(target, name)): shutil.rmtree(os.path.join(target, name))
                shutil.copy2(os.path.join(root, name), os.path.join(target, name))
    """

    @Test func theBuildStageBuildsFromExactlyTheFilesItCopies() throws {
        let file = try Dockerfile(path: dockerfilePath)
        let build = try #require(file.stages.first)
        #expect(build.workdir == "/src")
        let dir = NSHomeDirectory() + "/.cache/muster/docker-build-stage"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lock = open(dir + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        defer { close(lock) }
        try #require(lock >= 0 && flock(lock, LOCK_EX) == 0, "cannot lock \(dir).lock")
        // Each COPY synced (a file that did not change keeps its inode and
        // time, which is what lets the build skip it); then anything at the
        // top that no COPY made, but the build cache, removed.
        var kept: Set<String> = [".build"]
        for copy in build.copies {
            #expect(!copy.source.contains(".."), "COPY \(copy.source)")
            let relative = copy.destination == "./" ? (copy.source as NSString).lastPathComponent
                : String(copy.destination.drop { $0 == "." || $0 == "/" })
            kept.insert(String(relative.split(separator: "/").first ?? ""))
            try sh("python3 -c \"$SYNC\" '\(packageRoot)/\(copy.source)' '\(dir)/\(relative)'", cwd: dir, env: ["SYNC": Self.sync])
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !kept.contains(name) {
            try FileManager.default.removeItem(atPath: dir + "/" + name)
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)).subtracting([".build"]) == kept.subtracting([".build"]), "exactly what the COPY lines copy")
        for run in build.runs where !run.hasPrefix("apt-get") {
            try sh(run.replacingOccurrences(of: " /out/", with: " \(dir)/out/"), cwd: dir, env: build.args)
        }
        // It built, and says what it is.
        let version = try sh("'\(dir)/out/muster' --version", cwd: dir)
        #expect(!version.isEmpty)
        // The resolved file the image keeps pins the declared version.
        let resolved = try String(contentsOfFile: dir + "/out/Package.resolved", encoding: .utf8)
        let pinned = try #require(build.args["ARGUMENT_PARSER_VERSION"])
        #expect(resolved.contains("\"version\" : \"\(pinned)\""), "\(resolved)")

        // Every library the binary links, and those it opens on first use
        // (their sonames are in it: Sources/CLazyLibraries), is installed by
        // the runtime stage, or is in debian:bookworm-slim already (this
        // machine is bookworm).
        let runtime = Dockerfile.aptPackages(try #require(file.stages.last))
        let base: Set = ["libc6", "libgcc-s1", "libstdc++6", "zlib1g"]
        let linked = try sh("readelf -d '\(dir)/out/muster' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'", cwd: dir)
            .split(separator: "\n").map(String.init)
        let opened = try sh("strings '\(dir)/out/muster' | grep -E '^lib(curl|git2)\\.so\\.[0-9.]+$' | sort -u", cwd: dir)
            .split(separator: "\n").map(String.init)
        #expect(linked.contains { $0.hasPrefix("libyaml") }, "\(linked)")
        #expect(opened.contains { $0.hasPrefix("libgit2") } && opened.contains { $0.hasPrefix("libcurl") }, "\(opened)")
        let needed = linked + opened
        for library in needed {
            // By its folder and name: with merged /usr, ldconfig's /lib path is not dpkg's.
            let owner = try sh("dpkg -S \"*/$(ldconfig -p | awk -v l='\(library)' '$1 == l { n = split($NF, p, \"/\"); print p[n-1] \"/\" p[n]; exit }')\" | head -1 | cut -d: -f1", cwd: dir)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(runtime.contains(owner) || base.contains(owner), "\(library) (from \(owner)) is not installed in the runtime stage")
        }
    }
}
