/// "Did you mean" for misspelt keys and names: the closest candidate within a
/// small edit distance, or nil when nothing is plausibly meant.
///
/// Only distances up to the limit (at most 3) are computed, in a band of the
/// table: a hostile file's long names cost linear time, not quadratic.
public func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased().utf8)
    let limit = max(1, min(3, w.count / 3))
    var best: (String, Int)?
    for c in candidates {
        let cu = c.utf8
        // Cheap refusal before lowercasing: the distance is at least the length difference.
        guard abs(cu.count - w.count) <= limit else { continue }
        guard let d = boundedEditDistance(w, Array(c.lowercased().utf8), limit: best.map { $0.1 - 1 } ?? limit) else { continue }
        best = (c, d)
        if d == 0 { break }
    }
    return best?.0
}

/// `editDistance(a, b)` when it is at most `limit`, else nil, computing only
/// the cells within `limit` of the diagonal: O(|a| · limit).
package func boundedEditDistance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int? {
    guard limit >= 0, abs(a.count - b.count) <= limit else { return nil }
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    let far = limit + 1
    // Rows of the table; cells outside the band hold `far`.
    var prev2 = [Int](repeating: far, count: b.count + 1)
    var prev = [Int](repeating: far, count: b.count + 1)
    var cur = [Int](repeating: far, count: b.count + 1)
    for j in 0...min(b.count, limit) { prev[j] = j }
    for i in 1...a.count {
        let lo = max(1, i - limit), hi = min(b.count, i + limit)
        cur[lo - 1] = lo == 1 && i <= limit ? i : far
        var rowMin = cur[lo - 1]
        for j in lo...hi {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, prev2[j - 2] + 1) }
            cur[j] = min(d, far)
            rowMin = min(rowMin, cur[j])
        }
        if hi < b.count { cur[hi + 1] = far }
        if rowMin > limit { return nil }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count] <= limit ? prev[b.count] : nil
}

/// Damerau-free Levenshtein distance with a transposition counted as one edit.
package func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
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
package func quotedList(_ items: [String], conjunction: String = "or") -> String {
    let q = items.map { "'\($0)'" }
    guard q.count > 1 else { return q.first ?? "" }
    return q.dropLast().joined(separator: ", ") + " \(conjunction) " + q.last!
}
