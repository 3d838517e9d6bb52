/* fileio.c — whole files, paths, mkdir -p, the atomic writer, folder locks.
 * See fileio.h. */
#include "base/fileio.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	int e = 0;
	do {
		if (cap - n < 65536) {
			size_t ncap = cap ? 2 * cap : 65536 + 1;
			char *q = realloc(buf, ncap);
			if (!q) {
				e = ENOMEM;
				break;
			}
			buf = q;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (max && n > max) {
			e = EFBIG;
			break;
		}
	} while (got > 0);
	if (!e && ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	if (e) {
		free(buf);
		errno = e;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, a);
	size_t n = a;
	if (a && dir[a - 1] != '/' && b)
		p[n++] = '/';
	memcpy(p + n, name, b + 1);
	return p;
}

int mkdir_p(const char *dir, char *err, size_t errlen)
{
	if (!*dir) {
		seterr(err, errlen, "empty directory name");
		return -1;
	}
	char *p = strdup(dir);
	if (!p) {
		seterr(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char save = *s;
		*s = 0;
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			seterr(err, errlen, "%s: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = save;
		if (!save)
			break;
	}
	struct stat st;
	int rc = 0;
	if (stat(p, &st) != 0) {
		seterr(err, errlen, "%s: %s", p, strerror(errno));
		rc = -1;
	} else if (!S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "%s: not a directory", p);
		rc = -1;
	}
	free(p);
	return rc;
}

/* ---- atomic writes ---- */

/* The file mode creation mask, read without changing it (umask(2) cannot
 * read it without setting it, which would race with other threads
 * creating files); the old two-call dance only where /proc has no Umask. */
static mode_t current_umask(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	if (f) {
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "Umask:", 6)) {
				fclose(f);
				return (mode_t)strtol(line + 6, NULL, 8) & 0777;
			}
		fclose(f);
	}
	mode_t m = umask(022);
	umask(m);
	return m;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the folder of path, so that a rename in it is durable; best effort */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!d)
		return;
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
}

int atomic_open(atomic_file *af, const char *path, char *err, size_t errlen)
{
	memset(af, 0, sizeof *af);
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		seterr(err, errlen, "not a file name");
		return -1;
	}
	size_t dlen = (size_t)(base - path);
	af->path = strdup(path);
	af->tmp = malloc(dlen + strlen(base) + 16);
	if (!af->path || !af->tmp) {
		seterr(err, errlen, "out of memory");
		atomic_abort(af);
		return -1;
	}
	/* a file atomic_clean_stale removes between mkostemp and flock is
	 * noticed (the name no longer leads to our file) and made again */
	for (int tries = 0; tries < 100; tries++) {
		memcpy(af->tmp, path, dlen);
		sprintf(af->tmp + dlen, ".%s.tmp.XXXXXX", base);
		int fd = mkostemp(af->tmp, O_CLOEXEC);
		if (fd < 0) {
			seterr(err, errlen, "cannot create a temporary file next to it: %s", strerror(errno));
			free(af->tmp);
			af->tmp = NULL;
			atomic_abort(af);
			return -1;
		}
		struct stat a, b;
		if (flock(fd, LOCK_EX) != 0 || fstat(fd, &a) != 0) {
			seterr(err, errlen, "cannot lock a temporary file next to it: %s", strerror(errno));
			unlink(af->tmp);
			close(fd);
			atomic_abort(af);
			return -1;
		}
		if (stat(af->tmp, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
			close(fd);
			continue;
		}
		if (fchmod(fd, 0666 & ~current_umask()) != 0 || !(af->f = fdopen(fd, "wb"))) {
			seterr(err, errlen, "cannot create a temporary file next to it: %s", strerror(errno));
			unlink(af->tmp);
			close(fd);
			atomic_abort(af);
			return -1;
		}
		return 0;
	}
	seterr(err, errlen, "cannot create a temporary file next to it: removed again and again");
	atomic_abort(af);
	return -1;
}

void atomic_abort(atomic_file *af)
{
	if (af->f) {   /* the temporary exists: remove it */
		unlink(af->tmp);
		fclose(af->f);
	}
	free(af->tmp);
	free(af->path);
	memset(af, 0, sizeof *af);
}

int atomic_commit(atomic_file *af, char *err, size_t errlen)
{
	if (!af->f) {
		seterr(err, errlen, "atomic_commit: file not open");
		atomic_abort(af);
		return -1;
	}
	errno = 0;
	if (fflush(af->f) != 0 || ferror(af->f)) {
		seterr(err, errlen, "cannot write: %s", strerror(errno ? errno : EIO));
		atomic_abort(af);
		return -1;
	}
	if (fsync(fileno(af->f)) != 0) {
		seterr(err, errlen, "cannot write: %s", strerror(errno));
		atomic_abort(af);
		return -1;
	}
	/* renamed while still open, so the flock covers the file until it has
	 * its final name */
	if (rename(af->tmp, af->path) != 0) {
		seterr(err, errlen, "cannot rename the temporary file over it: %s", strerror(errno));
		atomic_abort(af);
		return -1;
	}
	/* the data are on disk already (fsync): a failing close changes nothing */
	fclose(af->f);
	af->f = NULL;
	sync_dir_of(af->path);
	free(af->tmp);
	free(af->path);
	memset(af, 0, sizeof *af);
	return 0;
}

int atomic_write(const char *path, const void *const *bufs, const size_t *lens, int nbufs,
                 char *err, size_t errlen)
{
	atomic_file af;
	if (atomic_open(&af, path, err, errlen) != 0)
		return -1;
	for (int i = 0; i < nbufs; i++)
		if (write_all(fileno(af.f), bufs[i], lens[i]) != 0) {
			seterr(err, errlen, "cannot write: %s", strerror(errno));
			atomic_abort(&af);
			return -1;
		}
	return atomic_commit(&af, err, errlen);
}

int atomic_write_file(const char *path, const void *data, size_t n, char *err, size_t errlen)
{
	const void *b[1] = {data};
	return atomic_write(path, b, &n, 1, err, errlen);
}

/* ".NAME.tmp.XXXXXX": what atomic_open makes */
static int is_temp_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 + 1 + 5 + 6 || s[0] != '.' || memcmp(s + n - 11, ".tmp.", 5))
		return 0;
	for (size_t i = n - 6; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", s[i]))
			return 0;
	return 1;
}

int atomic_clean_stale(const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d) {
		seterr(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	int removed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_temp_name(e->d_name))
			continue;
		char *p = path_join(dir, e->d_name);
		int fd = p ? open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) : -1;
		struct stat a, b;
		/* the lock is free: no writer holds the file; unlinked while we
		 * hold it, after checking the name still leads to it */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
		    S_ISREG(a.st_mode) && lstat(p, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev && unlink(p) == 0)
			removed++;
		if (fd >= 0)
			close(fd);
		free(p);
	}
	closedir(d);
	return removed;
}

/* ---- an exclusive output folder ---- */

int dir_lock(const char *dir, char *err, size_t errlen)
{
	char *p = path_join(dir, ".gcse.lock");
	if (!p) {
		seterr(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		seterr(err, errlen, "%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			char pid[32] = "";
			ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = 0;
			pid[strcspn(pid, "\n")] = 0;
			seterr(err, errlen, "%s is in use by another process (%s%s%sholds %s)", dir,
			       *pid ? "pid " : "", pid, *pid ? " " : "", p);
		} else
			seterr(err, errlen, "%s: cannot lock: %s", p, strerror(e));
		close(fd);
		free(p);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		seterr(err, errlen, "%s: %s", p, strerror(errno));
		close(fd);
		free(p);
		return -1;
	}
	free(p);
	return fd;
}
