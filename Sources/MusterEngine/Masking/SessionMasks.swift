import MusterBasics
import MusterFormat

/// The secrets a session masks: those declared, and every secret answer
/// typed since it began. Two maskers over the same values: the exact one,
/// for what the run masks on purpose (output, values, the journal), and
/// the net under every message and question (MaskingConsole), which leaves
/// out values shorter than the length rule's 4 bytes: masked everywhere,
/// they would turn Muster's own words into `e***pected`.
final class SessionMasks {
    private(set) var masker: Masker
    let net: MaskingConsole
    private let declared: [String]
    private var answers: [String] = []

    init(declared: [String], console: RunConsole) {
        self.declared = declared
        masker = Masker(secrets: declared)
        net = MaskingConsole(console, masker: Self.netMasker(declared))
    }

    static func netMasker(_ values: [String]) -> Masker {
        Masker(secrets: values.filter { $0.trimmingCharacters().utf8.count >= Masker.minimumPiece })
    }

    /// A secret typed during the run (`ask` with `secret: true`): masked
    /// from now on like a declared secret, everywhere.
    func add(_ value: String) {
        guard !value.trimmingCharacters().isEmpty, !answers.contains(value) else { return }
        answers.append(value)
        masker = Masker(secrets: declared + answers)
        net.masker = Self.netMasker(declared + answers)
    }
}
