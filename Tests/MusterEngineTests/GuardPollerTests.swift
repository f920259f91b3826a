import Foundation
import Synchronization
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
import MusterProcess
import MusterYAML
import Testing

/// The guard poller on real threads: a breach wakes the executor once and
/// is reported once until the guard held again (or is re-armed); each guard
/// polls on its own; nothing is reported after `stop()`; and a `run` check
/// is a real bash whose exit status is the verdict.
@Suite("Guards: the poller and one check")
struct GuardPollerTests {
    /// Polls `condition` until it holds or `seconds` pass; never a fixed wait.
    func eventually(within seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// A guard as the parser makes it (its templates' references found),
    /// whatever the validator thinks of it.
    func guardOf(_ id: String, every: Int = 1, timeout: Int? = nil, run: String = "true") -> Guard {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-guard-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quoted = "'" + run.replacingOccurrences(of: "'", with: "''") + "'"
        let yaml = """
        muster: 1
        name: t
        title: T
        params: {flag: {default: x}, v: {default: x}}
        guards:
          - {id: \(id), title: T, run: \(quoted), every: \(every)s\(timeout.map { ", timeout: \($0)s" } ?? "")}
        steps:
          - {id: s, title: S, run: 'true'}
        """
        #expect(FileManager.default.createFile(atPath: dir + "/runbooks/t.yaml", contents: Data(yaml.utf8)))
        let g = Catalog(currentDirectory: dir, rootFinder: { _ in dir }).load(dir + "/runbooks/t.yaml").runbook?.guards.first
        return g ?? Guard(id: "missing", mark: Mark(line: 0, column: 0), title: Template(raw: "", mark: Mark(line: 0, column: 0)), check: .run(Template(raw: "false", mark: Mark(line: 0, column: 0))))
    }

    /// A verdict the test sets, and how many checks saw it.
    final class Switch: Sendable {
        struct State { var verdict = GuardVerdict.holds; var checks = 0 }
        let state = Mutex(State())
        func set(_ v: GuardVerdict) { state.withLock { $0.verdict = v } }
        func check() -> GuardVerdict { state.withLock { s in s.checks += 1; return s.verdict } }
        var checks: Int { state.withLock { $0.checks } }
    }

    final class Counter: Sendable {
        let n = Mutex(0)
        func add() { n.withLock { $0 += 1 } }
        var value: Int { n.withLock { $0 } }
    }

    @Test func aBreachWakesOnceAndIsNotReportedAgainUntilTheGuardHeld() {
        let verdict = Switch(), wakes = Counter()
        verdict.set(.breached("error rate 5%"))
        let poller = GuardPoller(guards: [guardOf("errors")], check: { _ in verdict.check() }, wake: { wakes.add() }, now: monotonicSeconds)
        defer { poller.stop() }
        var seen: [(id: String, why: String)] = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.id) == ["errors"] && seen.map(\.why) == ["error rate 5%"])
        #expect(wakes.value == 1)
        // Still breached for two more checks: nothing new.
        let after = verdict.checks
        #expect(eventually { verdict.checks >= after + 2 })
        #expect(poller.takeBreaches().isEmpty)
        #expect(wakes.value == 1)
        // It holds once, then breaks again: reported again.
        verdict.set(.holds)
        let held = verdict.checks
        #expect(eventually { verdict.checks >= held + 1 })
        verdict.set(.breached("error rate 7%"))
        seen = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.why) == ["error rate 7%"])
        #expect(wakes.value == 2)
        // Re-armed while still breached: reported at its next check.
        poller.rearm("errors")
        seen = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.why) == ["error rate 7%"])
        #expect(wakes.value == 3)
    }

    /// A guard whose check hangs does not hold the others up: each polls
    /// on a thread of its own.
    @Test func aHungGuardDoesNotDelayTheOthers() {
        let release = Mutex(false), wakes = Counter()
        let poller = GuardPoller(guards: [guardOf("hung"), guardOf("fine")], check: { g in
            if g.id == "hung" {
                while !release.withLock({ $0 }) { usleep(5_000) }
                return .breached("too late")
            }
            return .breached("replica down")
        }, wake: { wakes.add() }, now: monotonicSeconds)
        var seen: [(id: String, why: String)] = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.id) == ["fine"])
        poller.stop()
        release.withLock { $0 = true }
    }

    /// After `stop()` a check still under way reports nothing and wakes
    /// nobody, and every thread ends (the last one lets the poller go).
    @Test func afterStopNothingIsReportedAndTheThreadsEnd() {
        let entered = Mutex(false), release = Mutex(false), wakes = Counter()
        var poller: GuardPoller? = GuardPoller(guards: [guardOf("slow", every: 3600)], check: { _ in
            entered.withLock { $0 = true }
            while !release.withLock({ $0 }) { usleep(5_000) }
            return .breached("found while stopping")
        }, wake: { wakes.add() }, now: monotonicSeconds)
        weak let watched = poller
        #expect(eventually { entered.withLock { $0 } })
        poller?.stop()
        #expect(poller?.isStopped == true)
        poller = nil
        release.withLock { $0 = true }
        #expect(eventually { watched == nil }, "a guard's thread did not end after stop()")
        #expect(wakes.value == 0)
    }

    /// A poller resting an hour between checks ends as soon as it is
    /// stopped: the rest is cut short, not waited out.
    @Test func stopCutsALongRestShort() {
        let verdict = Switch()
        var poller: GuardPoller? = GuardPoller(guards: [guardOf("hourly", every: 3600)], check: { _ in verdict.check() }, wake: {}, now: monotonicSeconds)
        weak let watched = poller
        #expect(eventually { verdict.checks == 1 })
        poller?.stop()
        poller = nil
        #expect(eventually(within: 5) { watched == nil }, "the thread slept through stop()")
        #expect(verdict.checks == 1)
    }

    // MARK: - One check, against a real bash

    struct BashRunner: CommandRunner {
        let shell = ShellRunner(bash: "/bin/bash")

        func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
                 onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
            do {
                let r = try shell.run(script: script, environment: environment, timeout: timeout, keepLeftovers: keepLeftovers,
                                      onLine: { onLine($0 == .stderr, $1) }, onSignal: { _ in .keepWaiting })
                return CommandResult(status: r.status, timedOut: r.timedOut, interrupted: r.interrupted, seconds: r.seconds)
            } catch {
                throw CommandError(message: error.message)
            }
        }

        func start(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool) -> BackgroundCommand {
            let command = BackgroundCommand()
            let shell = self.shell
            detachThread {
                do {
                    let r = try shell.run(script: script, environment: environment, timeout: timeout, keepLeftovers: keepLeftovers, watchSignals: false,
                                          stopRequested: { command.stopRequested }, onLine: { command.add(stderr: $0 == .stderr, $1) }, onSignal: { _ in .keepWaiting })
                    command.finish(.success(CommandResult(status: r.status, timedOut: r.timedOut, interrupted: r.interrupted, seconds: r.seconds)))
                } catch {
                    command.finish(.failure(CommandError(message: "\(error)")))
                }
            }
            return command
        }
    }

    /// No HTTP in these tests: a transport that is never reached.
    struct NoHTTP: HTTPTransport {
        func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
                  confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
            throw HTTPFailure(message: "no HTTP here")
        }
    }

    func checker(values: [String: String] = [:], env: [String: String] = [:], secrets: [String: String] = [:]) -> GuardChecker {
        GuardChecker(makeRunner: { BashRunner() }, makeHTTP: { NoHTTP() },
                     environment: ["PATH": "/usr/bin:/bin"].merging(env) { $1 }, values: values, secrets: secrets, now: monotonicSeconds)
    }

    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-guard-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A file whose presence breaches the guard: the poller, driving real
    /// bash checks, reports the breach once, and again after it held.
    @Test func aRealRunGuardBreachesWhenAFileAppearsAndHoldsWhenItGoes() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let flag = dir + "/it's down; rm -rf x"
        let check = checker(values: ["flag": flag])
        let g = guardOf("flag", timeout: 10, run: "echo looking; test ! -e {{ flag }}")
        #expect(check.check(g) == .holds)
        let wakes = Counter(), checks = Counter()
        let poller = GuardPoller(guards: [g], check: { g in checks.add(); return check.check(g) }, wake: { wakes.add() }, now: monotonicSeconds)
        defer { poller.stop() }
        #expect(eventually { checks.value >= 2 })
        #expect(poller.takeBreaches().isEmpty && wakes.value == 0)
        #expect(FileManager.default.createFile(atPath: flag, contents: Data()))
        var seen: [(id: String, why: String)] = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.why) == ["exited with status 1: looking"], "\(seen)")
        try FileManager.default.removeItem(atPath: flag)
        let gone = checks.value
        #expect(eventually { checks.value >= gone + 2 })
        #expect(poller.takeBreaches().isEmpty)
        #expect(FileManager.default.createFile(atPath: flag, contents: Data()))
        seen = []
        #expect(eventually { seen += poller.takeBreaches(); return !seen.isEmpty })
        #expect(seen.map(\.id) == ["flag"] && wakes.value == 2)
        #expect(FileManager.default.fileExists(atPath: flag), "the value ran as code")
    }

    /// A check that cannot answer in time is a breach, and its command is
    /// stopped at the timeout rather than left behind.
    @Test func aCheckThatDoesNotAnswerInTimeIsABreach() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = guardOf("slow", every: 30, timeout: 1, run: "sleep 20; touch \(dir)/finished")
        #expect(checker().check(g) == .breached("did not answer within 1s; a guard that cannot be checked counts as breached"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/finished"))
    }

    /// What a check printed is part of why it breached, never a secret.
    @Test func aBreachNeverCarriesASecret() {
        let g = guardOf("auth", run: "echo \"denied for $STATUS_TOKEN\"; exit 3")
        let v = checker(env: ["STATUS_TOKEN": "s3cr3t-t0ken"], secrets: ["STATUS_TOKEN": "s3cr3t-t0ken"]).check(g)
        guard case .breached(let why) = v else { Issue.record("held: \(v)"); return }
        #expect(why.hasPrefix("exited with status 3: denied for "), "\(why)")
        #expect(!why.contains("s3cr3t-t0ken"), "\(why)")
    }

    /// A guard's command that cannot be run (a template where bash would
    /// run the value) is a breach with the reason, and nothing runs.
    @Test func aRefusedCommandIsABreachAndRunsNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = guardOf("x", run: "bash -c {{ v }}")
        let v = checker(values: ["v": "touch \(dir)/pwned"]).check(g)
        guard case .breached(let why) = v else { Issue.record("held: \(v)"); return }
        #expect(why.hasPrefix("cannot run: a template stands where its value could become code"), "\(why)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"))
    }
}
