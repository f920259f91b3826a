/// "Did you mean" for misspelt keys and names: the closest candidate within a
/// small edit distance, or nil when nothing is plausibly meant.
public func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased().utf8)
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(w, Array(c.lowercased().utf8))
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (name, d) = best else { return nil }
    let limit = max(1, min(3, w.count / 3))
    return d <= limit ? name : nil
}

/// Damerau-free Levenshtein distance with a transposition counted as one edit.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}

/// `'a', 'b' or 'c'` for messages listing what is allowed.
func quotedList(_ items: [String], conjunction: String = "or") -> String {
    let q = items.map { "'\($0)'" }
    guard q.count > 1 else { return q.first ?? "" }
    return q.dropLast().joined(separator: ", ") + " \(conjunction) " + q.last!
}
