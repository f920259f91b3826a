import MusterBasics
import MusterFormat

/// `validate --json`: the same findings as the text, for editors, pre-commit
/// hooks and CI annotations. The keys are a contract (docs/cli.md); add to
/// them, never rename.
package enum ValidateJSON {
    package static func file(path: String, kind: String, problems: [Diagnostic]) -> JSON {
        let errors = problems.filter { $0.severity == .error }.count
        return .object([
            ("path", .string(path)),
            ("kind", .string(kind)),
            ("valid", .bool(errors == 0)),
            ("errors", .int(errors)),
            ("warnings", .int(problems.count - errors)),
            ("problems", .array(problems.map(problem))),
        ])
    }

    /// Line and column are 1-based, as in the text form; both are null for a
    /// problem with the whole file (one that cannot be read).
    package static func problem(_ d: Diagnostic) -> JSON {
        .object([
            ("path", .string(d.path)),
            ("line", .from(d.mark?.line)),
            ("column", .from(d.mark?.column)),
            ("severity", .string(d.severity.rawValue)),
            ("message", .string(d.message)),
        ])
    }

    package static func document(files: [JSON], invalid: Int, runbooks: Int, drills: Int, tests: Int, errors: Int, warnings: Int) -> JSON {
        .object([
            ("valid", .bool(invalid == 0)),
            ("files", .array(files)),
            ("summary", .object([
                ("files", .int(files.count)),
                ("invalid", .int(invalid)),
                ("runbooks", .int(runbooks)),
                ("drills", .int(drills)),
                ("tests", .int(tests)),
                ("errors", .int(errors)),
                ("warnings", .int(warnings)),
            ])),
        ])
    }
}
