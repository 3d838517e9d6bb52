/* fileio.h — files as the library reads and writes them: a whole file into
 * memory, a path joined from a folder and a name, mkdir -p, the one atomic
 * writer (model directories, checkpoints, the LLM cache all write through
 * it), the removal of a dead writer's temporary files, and an exclusive lock
 * on an output folder. Nothing here prints or exits; functions that can fail
 * return 0 (or a descriptor) on success and -1 with a message in err.
 *
 * Atomic writes. The data go to a temporary file of a unique name in the
 * same folder, DIR/.NAME.tmp.XXXXXX (mkstemp, then given the mode open(2)
 * would give, 0666 & ~umask), which is written, flushed, fsync'ed and renamed
 * over DIR/NAME; then DIR is fsync'ed (best effort: some file systems refuse
 * it). So:
 *   - a reader of DIR/NAME sees the old file or the new one, whole;
 *   - a crash or SIGKILL at any moment leaves the old file whole; the killed
 *     writer's temporary stays behind as a hidden file that no reader opens,
 *     until atomic_clean_stale removes it;
 *   - writers of one NAME at once (threads or processes) never share a
 *     temporary: each renames its own whole file, and the last rename wins.
 * A writer holds an exclusive flock on its temporary from creation to
 * rename, so atomic_clean_stale can tell a live writer's file from a dead
 * one's. Messages of the writer do not repeat the final path (callers name
 * it): "cannot create a temporary file next to it: Permission denied". */
#ifndef GCSE_FILEIO_H
#define GCSE_FILEIO_H
#include <stddef.h>
#include <stdio.h>

/* The whole file at path, NUL-terminated (the NUL is not counted in *len),
 * malloc'ed. NULL with errno set on failure: ENOENT and the like from
 * fopen, EIO for a read error, ENOMEM, and EFBIG when max > 0 and the file
 * is longer than max bytes. */
char *file_read(const char *path, size_t max, size_t *len);

/* dir "/" name, malloc'ed (no second slash when dir ends in one; dir alone
 * when name is empty). NULL when out of memory. */
char *path_join(const char *dir, const char *name);

/* mkdir -p: dir and its missing parents, mode 0777 & ~umask. 0 when dir is
 * (now) a directory; -1 with "PATH: reason" naming the component that
 * failed ("a/b: Not a directory", "a: not a directory"). */
int mkdir_p(const char *dir, char *err, size_t errlen);

/* ---- atomic writes ---- */
typedef struct atomic_file {
	FILE *f;       /* write here between atomic_open and atomic_commit */
	char *path;    /* the final name */
	char *tmp;     /* DIR/.NAME.tmp.XXXXXX */
} atomic_file;

/* Create the temporary of path, locked, for writing. 0, or -1 with err. */
int atomic_open(atomic_file *af, const char *path, char *err, size_t errlen);
/* Flush, check for write errors, fsync, rename over the final name, fsync the
 * folder. On any failure the temporary is removed, the old file is left as
 * it was, and -1 is returned with err set. Frees af's fields either way. */
int atomic_commit(atomic_file *af, char *err, size_t errlen);
/* Close and remove the temporary; the old file is left as it was. */
void atomic_abort(atomic_file *af);
/* The whole cycle for nbufs buffers written one after the other. */
int atomic_write(const char *path, const void *const *bufs, const size_t *lens, int nbufs,
                 char *err, size_t errlen);
/* The whole cycle for one buffer. */
int atomic_write_file(const char *path, const void *data, size_t n, char *err, size_t errlen);

/* Remove the temporaries (.NAME.tmp.XXXXXX) in dir whose writer is gone
 * (their flock is free: the process was killed or crashed between creating
 * and renaming). A live writer's temporary is left alone. Returns how many
 * were removed, or -1 with a message when dir cannot be read. */
int atomic_clean_stale(const char *dir, char *err, size_t errlen);

/* ---- an exclusive output folder ---- */
/* Lock dir against other processes: an exclusive, non-blocking flock on
 * DIR/.lock (created; it holds the owner's pid as text). Returns the
 * descriptor that holds the lock (released by close or at exit), or -1 with
 * a message: "DIR is in use by another process (pid N holds DIR/.lock)"
 * when another process holds it, else the reason. */
int dir_lock(const char *dir, char *err, size_t errlen);
#endif
