/* libgit2, opened on first use: as curl.c does for libcurl. The soname is
 * the one of the headers Muster is built against (libgit2 changes its ABI
 * with every minor release, so no other version would do). */
#include "../CGit2/shim.h"
#include "lazy.h"
#include "lazy_libraries.h"
#include <pthread.h>

#define SONAME "libgit2.so." LIBGIT2_SOVERSION
#define PACKAGE "libgit2-" LIBGIT2_SOVERSION

/* F: returns a value; V: returns nothing. */
#define GIT_FUNCTIONS(F, V) \
    F(int, git_libgit2_init, (void), ()) \
    F(int, git_libgit2_version, (int *major, int *minor, int *rev), (major, minor, rev)) \
    F(const git_error *, git_error_last, (void), ()) \
    F(int, git_blob_create_from_workdir, (git_oid *id, git_repository *repo, const char *relative_path), (id, repo, relative_path)) \
    V(void, git_blob_free, (git_blob *blob), (blob)) \
    F(int, git_blob_lookup, (git_blob **blob, git_repository *repo, const git_oid *id), (blob, repo, id)) \
    F(const void *, git_blob_rawcontent, (const git_blob *blob), (blob)) \
    F(git_object_size_t, git_blob_rawsize, (const git_blob *blob), (blob)) \
    V(void, git_buf_dispose, (git_buf *buffer), (buffer)) \
    F(const git_signature *, git_commit_author, (const git_commit *commit), (commit)) \
    F(int, git_commit_create, (git_oid *id, git_repository *repo, const char *update_ref, const git_signature *author, const git_signature *committer, const char *message_encoding, const char *message, const git_tree *tree, size_t parent_count, const git_commit *parents[]), (id, repo, update_ref, author, committer, message_encoding, message, tree, parent_count, parents)) \
    V(void, git_commit_free, (git_commit *commit), (commit)) \
    F(const git_oid *, git_commit_id, (const git_commit *commit), (commit)) \
    F(int, git_commit_lookup, (git_commit **commit, git_repository *repo, const git_oid *id), (commit, repo, id)) \
    F(const git_oid *, git_commit_parent_id, (const git_commit *commit, unsigned int n), (commit, n)) \
    F(unsigned int, git_commit_parentcount, (const git_commit *commit), (commit)) \
    F(const char *, git_commit_summary, (git_commit *commit), (commit)) \
    F(git_time_t, git_commit_time, (const git_commit *commit), (commit)) \
    F(int, git_commit_tree, (git_tree **tree_out, const git_commit *commit), (tree_out, commit)) \
    V(void, git_config_free, (git_config *cfg), (cfg)) \
    F(int, git_config_get_string, (const char **out, const git_config *cfg, const char *name), (out, cfg, name)) \
    F(int, git_config_open_default, (git_config **out), (out)) \
    F(int, git_config_snapshot, (git_config **out, git_config *config), (out, config)) \
    F(int, git_diff_find_options_init, (git_diff_find_options *opts, unsigned int version), (opts, version)) \
    F(int, git_diff_find_similar, (git_diff *diff, const git_diff_find_options *options), (diff, options)) \
    V(void, git_diff_free, (git_diff *diff), (diff)) \
    F(const git_diff_delta *, git_diff_get_delta, (const git_diff *diff, size_t idx), (diff, idx)) \
    F(size_t, git_diff_num_deltas, (const git_diff *diff), (diff)) \
    F(int, git_diff_tree_to_tree, (git_diff **diff, git_repository *repo, git_tree *old_tree, git_tree *new_tree, const git_diff_options *opts), (diff, repo, old_tree, new_tree, opts)) \
    F(int, git_index_add, (git_index *index, const git_index_entry *source_entry), (index, source_entry)) \
    F(int, git_index_add_bypath, (git_index *index, const char *path), (index, path)) \
    V(void, git_index_free, (git_index *index), (index)) \
    F(int, git_index_new, (git_index **out), (out)) \
    F(int, git_index_read, (git_index *index, int force), (index, force)) \
    F(int, git_index_read_tree, (git_index *index, const git_tree *tree), (index, tree)) \
    F(int, git_index_write, (git_index *index), (index)) \
    F(int, git_index_write_tree_to, (git_oid *out, git_index *index, git_repository *repo), (out, index, repo)) \
    V(void, git_object_free, (git_object *object), (object)) \
    F(int, git_object_peel, (git_object **peeled, const git_object *object, git_object_t target_type), (peeled, object, target_type)) \
    F(int, git_object_short_id, (git_buf *out, const git_object *obj), (out, obj)) \
    F(git_object_t, git_object_type, (const git_object *obj), (obj)) \
    F(const char *, git_object_type2string, (git_object_t type), (type)) \
    F(int, git_oid_cmp, (const git_oid *a, const git_oid *b), (a, b)) \
    F(int, git_oid_fromstr, (git_oid *out, const char *str), (out, str)) \
    F(char *, git_oid_tostr, (char *out, size_t n, const git_oid *id), (out, n, id)) \
    V(void, git_reference_free, (git_reference *ref), (ref)) \
    F(int, git_reference_name_to_id, (git_oid *out, git_repository *repo, const char *name), (out, repo, name)) \
    F(int, git_repository_config_snapshot, (git_config **out, git_repository *repo), (out, repo)) \
    V(void, git_repository_free, (git_repository *repo), (repo)) \
    F(int, git_repository_head_detached, (git_repository *repo), (repo)) \
    F(int, git_repository_head_unborn, (git_repository *repo), (repo)) \
    F(int, git_repository_index, (git_index **out, git_repository *repo), (out, repo)) \
    F(int, git_repository_is_shallow, (git_repository *repo), (repo)) \
    F(int, git_repository_open_ext, (git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs), (out, path, flags, ceiling_dirs)) \
    F(const char *, git_repository_workdir, (const git_repository *repo), (repo)) \
    F(int, git_revparse_single, (git_object **out, git_repository *repo, const char *spec), (out, repo, spec)) \
    F(int, git_signature_default, (git_signature **out, git_repository *repo), (out, repo)) \
    V(void, git_signature_free, (git_signature *sig), (sig)) \
    F(int, git_signature_now, (git_signature **out, const char *name, const char *email), (out, name, email)) \
    F(int, git_status_file, (unsigned int *status_flags, git_repository *repo, const char *path), (status_flags, repo, path)) \
    F(const git_tree_entry *, git_tree_entry_byindex, (const git_tree *tree, size_t idx), (tree, idx)) \
    F(int, git_tree_entry_bypath, (git_tree_entry **out, const git_tree *root, const char *path), (out, root, path)) \
    V(void, git_tree_entry_free, (git_tree_entry *entry), (entry)) \
    F(const git_oid *, git_tree_entry_id, (const git_tree_entry *entry), (entry)) \
    F(const char *, git_tree_entry_name, (const git_tree_entry *entry), (entry)) \
    F(git_object_t, git_tree_entry_type, (const git_tree_entry *entry), (entry)) \
    F(size_t, git_tree_entrycount, (const git_tree *tree), (tree)) \
    V(void, git_tree_free, (git_tree *tree), (tree)) \
    F(int, git_tree_lookup, (git_tree **out, git_repository *repo, const git_oid *id), (out, repo, id))

#define POINTER(ret, name, params, args) ret (*name) params;
static struct { GIT_FUNCTIONS(POINTER, POINTER) } fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char problem[600];
static const char *unavailable = problem;

static void load(void) {
    void *h = lazy_open(SONAME, "libgit2", PACKAGE, problem, sizeof problem);
    if (!h) return;
#define RESOLVE(ret, name, params, args) \
    if (!lazy_resolve(h, SONAME, PACKAGE, #name, (void **)&fn.name, problem, sizeof problem)) return;
    GIT_FUNCTIONS(RESOLVE, RESOLVE)
    unavailable = NULL;
}

const char *muster_git2_unavailable(void) {
    pthread_once(&once, load);
    return unavailable;
}

static inline void ready(void) {
    if (muster_git2_unavailable()) lazy_missing(problem);
}

#define FORWARD(ret, name, params, args) ret name params { ready(); return fn.name args; }
#define FORWARD_VOID(ret, name, params, args) void name params { ready(); fn.name args; }
GIT_FUNCTIONS(FORWARD, FORWARD_VOID)
