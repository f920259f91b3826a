internal import CGit2

// One final class per libgit2 handle, each freeing it in deinit, so no path
// through the wrapper (an early return, a thrown error) leaks or double-frees.

/// A git object id, comparable and usable as a dictionary key.
struct OID: Hashable {
    var raw: git_oid

    init(_ raw: git_oid) { self.raw = raw }

    static func == (a: OID, b: OID) -> Bool {
        var x = a.raw, y = b.raw
        return git_oid_cmp(&x, &y) == 0
    }

    func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) }
    }

    /// 40 hexadecimal digits.
    var hex: String {
        var oid = raw
        var out = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&out, out.count, &oid)
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init?(hex: String) {
        var oid = git_oid()
        guard hex.utf8.count == Int(GIT_OID_HEXSZ), git_oid_fromstr(&oid, hex) == 0 else { return nil }
        raw = oid
    }
}

final class Commit {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_commit_free(pointer) }

    static func lookup(_ id: OID, in repo: Repository) -> Commit? {
        var raw = id.raw
        var p: OpaquePointer?
        guard git_commit_lookup(&p, repo.handle, &raw) == 0, let p else { return nil }
        return Commit(p)
    }

    var id: OID { OID(git_commit_id(pointer).pointee) }

    /// Committer time, seconds since 1970: the order `git log` walks in.
    var time: Int64 { git_commit_time(pointer) }

    var parentIDs: [OID] {
        (0..<git_commit_parentcount(pointer)).compactMap { i in git_commit_parent_id(pointer, i).map { OID($0.pointee) } }
    }

    func tree() throws(GitError) -> Tree {
        var t: OpaquePointer?
        let rc = git_commit_tree(&t, pointer)
        guard rc == 0, let t else { throw GitError.last("cannot read the tree of commit \(id.hex)", code: rc) }
        return Tree(t)
    }

    var summary: String { git_commit_summary(pointer).map { String(cString: $0) } ?? "" }

    var author: (name: String, email: String, time: Int64, offsetMinutes: Int) {
        guard let a = git_commit_author(pointer) else { return ("", "", 0, 0) }
        return (a.pointee.name.map { String(cString: $0) } ?? "", a.pointee.email.map { String(cString: $0) } ?? "",
                a.pointee.when.time, Int(a.pointee.when.offset))
    }

    /// The shortest unambiguous abbreviation (at least `core.abbrev`, 7).
    var shortID: String {
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        guard git_object_short_id(&buf, pointer) == 0, let p = buf.ptr else { return String(id.hex.prefix(7)) }
        return String(cString: p)
    }
}

final class Tree {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_tree_free(pointer) }

    /// The entry at a slash-separated path below this tree, if any.
    func entry(at path: String) -> TreeEntry? {
        var e: OpaquePointer?
        guard git_tree_entry_bypath(&e, pointer, path) == 0, let e else { return nil }
        return TreeEntry(e)
    }

    /// The blob id at `path`, nil when there is no file there.
    func blobID(at path: String) -> OID? {
        guard let e = entry(at: path), e.isBlob else { return nil }
        return e.id
    }

    /// Paths of the files below this tree, recursively, relative to it.
    func files(in repo: Repository, prefix: String = "") -> [String] {
        var out: [String] = []
        for i in 0..<git_tree_entrycount(pointer) {
            guard let e = git_tree_entry_byindex(pointer, i), let n = git_tree_entry_name(e) else { continue }
            let name = prefix + String(cString: n)
            switch git_tree_entry_type(e) {
            case GIT_OBJECT_BLOB:
                out.append(name)
            case GIT_OBJECT_TREE:
                var sub: OpaquePointer?
                guard git_tree_lookup(&sub, repo.handle, git_tree_entry_id(e)) == 0, let sub else { continue }
                out += Tree(sub).files(in: repo, prefix: name + "/")
            default:
                continue
            }
        }
        return out
    }
}

/// An entry returned by `git_tree_entry_bypath`, which the caller owns.
final class TreeEntry {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_tree_entry_free(pointer) }

    var id: OID { OID(git_tree_entry_id(pointer).pointee) }
    var isBlob: Bool { git_tree_entry_type(pointer) == GIT_OBJECT_BLOB }
    var isTree: Bool { git_tree_entry_type(pointer) == GIT_OBJECT_TREE }
}

final class Object {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_object_free(pointer) }
}

final class Blob {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_blob_free(pointer) }

    var bytes: [UInt8] {
        let n = Int(git_blob_rawsize(pointer))
        guard n > 0, let p = git_blob_rawcontent(pointer) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

final class Diff {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_diff_free(pointer) }
}

final class Index {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_index_free(pointer) }
}

final class Signature {
    let pointer: UnsafeMutablePointer<git_signature>
    init(_ pointer: UnsafeMutablePointer<git_signature>) { self.pointer = pointer }
    deinit { git_signature_free(pointer) }

    var name: String { pointer.pointee.name.map { String(cString: $0) } ?? "" }
    var email: String { pointer.pointee.email.map { String(cString: $0) } ?? "" }
}

final class Reference {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_reference_free(pointer) }
}
