/* test_fileio.c — lib/base/fileio.h: whole files, path joins, mkdir -p, and
 * the one atomic writer under the two promises the README makes of it:
 * atomic checkpoints (a writer killed between write and rename leaves the
 * old file whole, and its stray temporary breaks nothing) and a cache safe
 * for concurrent writers (two processes writing one name at once: every
 * read sees one writer's whole file), through train_ckpt_save and
 * llm_cache_put as well as directly; the output-folder lock. */
#include "t.h"
#include "base/fileio.h"
#include "base/rng.h"
#include "llm/llmcache.h"
#include "train/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

/* dir/name, valid until the fourth next call */
static char *in_dir(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

/* a path kept across calls of in_dir */
#define KEEP(var, name) char var[256]; snprintf(var, sizeof var, "%s", in_dir(name))

/* entries of d whose names start with prefix (NULL: hidden ones, "." and
 * ".." excluded) */
static int count_entries(const char *d, const char *prefix)
{
	DIR *h = opendir(d);
	if (!h)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(h)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !strncmp(e->d_name, prefix ? prefix : ".", strlen(prefix ? prefix : ".")))
			n++;
	closedir(h);
	return n;
}

static void spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");
	fputs(s, f);
	fclose(f);
}

static void test_file_read(void)
{
	size_t n = 99;
	spit(in_dir("r.txt"), "abc\ndef");
	char *b = file_read(in_dir("r.txt"), 0, &n);
	T_ASSERT(b && n == 7 && b[7] == 0);
	T_EQ_STR(b, "abc\ndef");
	free(b);
	errno = 0;
	T_ASSERT(!file_read(in_dir("r.txt"), 6, &n) && errno == EFBIG);
	b = file_read(in_dir("r.txt"), 7, &n);   /* exactly max: fine */
	T_ASSERT(b && n == 7);
	free(b);
	T_ASSERT(!file_read(in_dir("none.txt"), 0, &n) && errno == ENOENT);
	T_ASSERT(!file_read(dir, 0, &n) && errno == EISDIR);
	spit(in_dir("empty.txt"), "");
	b = file_read(in_dir("empty.txt"), 0, &n);
	T_ASSERT(b && n == 0 && b[0] == 0);
	free(b);
	/* larger than the first buffer */
	static char big[200001];
	memset(big, 'x', sizeof big - 1);
	spit(in_dir("big.txt"), big);
	b = file_read(in_dir("big.txt"), 0, &n);
	T_ASSERT(b && n == sizeof big - 1 && !strcmp(b, big));
	free(b);
}

static void test_path_join(void)
{
	char *p;
	T_EQ_STR(p = path_join("a/b", "c.json"), "a/b/c.json");
	free(p);
	T_EQ_STR(p = path_join("a/b/", "c.json"), "a/b/c.json");
	free(p);
	T_EQ_STR(p = path_join("/", "c"), "/c");
	free(p);
	T_EQ_STR(p = path_join("a", ""), "a");
	free(p);
	T_EQ_STR(p = path_join("", "c"), "c");
	free(p);
}

static void test_mkdir_p(void)
{
	char err[512];
	struct stat st;
	T_EQ_INT(mkdir_p(in_dir("m/n/o/"), err, sizeof err), 0);
	T_ASSERT(stat(in_dir("m/n/o"), &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ_INT(mkdir_p(in_dir("m/n"), err, sizeof err), 0);   /* already there */
	spit(in_dir("m/file"), "x");
	T_EQ_INT(mkdir_p(in_dir("m/file"), err, sizeof err), -1);
	T_ASSERT(strstr(err, "m/file: not a directory"));
	T_EQ_INT(mkdir_p(in_dir("m/file/sub/x"), err, sizeof err), -1);
	T_ASSERT(strstr(err, "m/file/sub: Not a directory"));
	T_EQ_INT(mkdir_p("", err, sizeof err), -1);
}

static void test_atomic_write(void)
{
	char err[512];
	KEEP(p, "w.txt");
	size_t n;
	T_EQ_INT(atomic_write_file(p, "old contents\n", 13, err, sizeof err), 0);
	char *b = file_read(p, 0, &n);
	T_EQ_STR(b, "old contents\n");
	free(b);
	struct stat st;
	mode_t um = umask(0);
	umask(um);
	T_ASSERT(stat(p, &st) == 0);
	T_EQ_INT(st.st_mode & 0777, 0666 & ~um);   /* what open(2) gives, not mkstemp's 0600 */
	/* several buffers */
	const void *bufs[3] = {"a", "bc", "def"};
	size_t lens[3] = {1, 2, 3};
	T_EQ_INT(atomic_write(in_dir("v.txt"), bufs, lens, 3, err, sizeof err), 0);
	T_EQ_STR(b = file_read(in_dir("v.txt"), 0, &n), "abcdef");
	free(b);
	/* an aborted write: the temporary goes, the old file stays */
	atomic_file af;
	T_EQ_INT(atomic_open(&af, p, err, sizeof err), 0);
	T_ASSERT(!strncmp(af.tmp, in_dir(".w.txt.tmp."), strlen(in_dir(".w.txt.tmp."))));
	fputs("half a new", af.f);
	fflush(af.f);
	T_EQ_INT(count_entries(dir, ".w.txt.tmp."), 1);
	atomic_abort(&af);
	T_EQ_INT(count_entries(dir, ".w.txt.tmp."), 0);
	T_EQ_STR(b = file_read(p, 0, &n), "old contents\n");
	free(b);
	/* the rename fails (the target is a non-empty folder): the folder stays,
	 * the temporary is removed, the error says why */
	T_EQ_INT(mkdir_p(in_dir("adir"), err, sizeof err), 0);
	spit(in_dir("adir/x"), "x");
	T_EQ_INT(atomic_write_file(in_dir("adir"), "y", 1, err, sizeof err), -1);
	T_ASSERT(strstr(err, "cannot rename"));
	T_EQ_INT(count_entries(dir, ".adir.tmp."), 0);
	T_ASSERT(stat(in_dir("adir/x"), &st) == 0);
	/* a folder that does not exist; not a file name */
	T_EQ_INT(atomic_write_file("/nonexistent-dir/f", "y", 1, err, sizeof err), -1);
	T_ASSERT(strstr(err, "cannot create a temporary file next to it: No such file"));
	T_EQ_INT(atomic_write_file(in_dir(""), "y", 1, err, sizeof err), -1);
	T_ASSERT(strstr(err, "not a file name"));
}

/* ---- a writer killed between write and rename ---- */

static void test_killed_writer(void)
{
	char err[512];
	KEEP(p, "k.txt");
	size_t n;
	T_EQ_INT(atomic_write_file(p, "old contents\n", 13, err, sizeof err), 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {   /* everything up to the rename, then SIGKILL */
		atomic_file k;
		if (atomic_open(&k, p, NULL, 0) == 0) {
			fputs("the new contents, all of them\n", k.f);
			fflush(k.f);
			fsync(fileno(k.f));
		}
		raise(SIGKILL);
		_exit(0);
	}
	int st;
	T_ASSERT(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	char *b = file_read(p, 0, &n);
	T_EQ_STR(b, "old contents\n");   /* the old file, whole */
	free(b);
	T_EQ_INT(count_entries(dir, ".k.txt.tmp."), 1);   /* the dead writer's temporary */
	/* it breaks nothing: the next write and read work around it */
	T_EQ_INT(atomic_write_file(p, "new\n", 4, err, sizeof err), 0);
	T_EQ_STR(b = file_read(p, 0, &n), "new\n");
	free(b);
	/* and atomic_clean_stale removes it, but never a live writer's */
	atomic_file live;
	T_EQ_INT(atomic_open(&live, in_dir("live.txt"), err, sizeof err), 0);
	fputs("still writing", live.f);
	T_EQ_INT(atomic_clean_stale(dir, err, sizeof err), 1);
	T_EQ_INT(count_entries(dir, ".k.txt.tmp."), 0);
	T_EQ_INT(count_entries(dir, ".live.txt.tmp."), 1);
	T_EQ_INT(atomic_commit(&live, err, sizeof err), 0);
	T_EQ_STR(b = file_read(in_dir("live.txt"), 0, &n), "still writing");
	free(b);
	T_EQ_INT(atomic_clean_stale(dir, err, sizeof err), 0);
	T_EQ_INT(atomic_clean_stale(in_dir("nonexistent"), err, sizeof err), -1);
	/* a file that only looks a little like a temporary is never touched */
	spit(in_dir(".notes.tmp"), "mine");
	spit(in_dir(".a.tmp.x"), "mine");
	T_EQ_INT(atomic_clean_stale(dir, err, sizeof err), 0);
	T_ASSERT(access(in_dir(".notes.tmp"), F_OK) == 0 && access(in_dir(".a.tmp.x"), F_OK) == 0);
}

/* ---- two writers at once ---- */

enum { SZ = 1 << 18, ROUNDS = 60 };

/* A file written by writer c: SZ bytes, every one c. */
static int whole(const char *b, size_t n)
{
	if (n != SZ || (b[0] != 'A' && b[0] != 'B'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (b[i] != b[0])
			return 0;
	return 1;
}

static pid_t spawn_writer(const char *p, char c)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *buf = malloc(SZ), e[256];
		memset(buf, c, SZ);
		for (int r = 0; r < ROUNDS; r++)
			if (atomic_write_file(p, buf, SZ, e, sizeof e) != 0) {
				fprintf(stderr, "writer %c: %s\n", c, e);
				_exit(1);
			}
		_exit(0);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st;
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* 1 while one of the two children runs; each one's success (exit 0: no
 * write failed) into ok[] when it ends */
static int running(pid_t pid[2], int ok[2])
{
	int any = 0;
	for (int i = 0; i < 2; i++) {
		if (!pid[i])
			continue;
		int st;
		pid_t r = waitpid(pid[i], &st, WNOHANG);
		if (r == 0) {
			any = 1;
			continue;
		}
		ok[i] = r == pid[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
		pid[i] = 0;
	}
	return any;
}

static void test_two_writers(void)
{
	KEEP(p, "c.bin");
	pid_t pid[2] = {spawn_writer(p, 'A'), spawn_writer(p, 'B')};
	int ok[2] = {0, 0};
	T_ASSERT(pid[0] > 0 && pid[1] > 0);
	/* read while they write: always one writer's whole file (or none yet) */
	int reads = 0, bad = 0;
	while (running(pid, ok)) {
		size_t n;
		char *buf = file_read(p, 0, &n);
		if (buf) {
			reads++;
			bad += !whole(buf, n);
		} else
			bad += errno != ENOENT;
		free(buf);
	}
	printf("# %d reads during the writes, %d not one writer's whole file\n", reads, bad);
	T_EQ_INT(bad, 0);
	T_ASSERT(ok[0] && ok[1]);   /* no write failed */
	size_t n;
	char *buf = file_read(p, 0, &n);
	T_ASSERT(buf && whole(buf, n));
	free(buf);
	T_EQ_INT(count_entries(dir, ".c.bin.tmp."), 0);
}

/* The checkpoint promise: two processes saving one checkpoint at once; every
 * load in between verifies (CRCs) and holds one of the two states. */
static void test_checkpoint_writers(void)
{
	enum { NP = 20000, NO = 10 };
	KEEP(p, "train.safetensors");
	static float w[2][3 * NP];
	static int64_t ord[2][NO];
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < 3 * NP; i++)
			w[s][i] = (float)(s + 1) * 0.001f * (float)(i % 1000);
		for (int i = 0; i < NO; i++)
			ord[s][i] = s ? NO - 1 - i : i;
	}
	pid_t pid[2];
	for (int s = 0; s < 2; s++) {
		fflush(stdout);
		if ((pid[s] = fork()) == 0) {
			train_ckpt c = {w[s], w[s] + NP, w[s] + 2 * NP, NP, ord[s], NO, s + 1, 0, 3, s + 1,
			                {1, 2, 3, 4}};
			char e[256];
			for (int r = 0; r < ROUNDS; r++)
				if (train_ckpt_save(p, &c, s ? "{\"by\":\"B\"}" : "{\"by\":\"A\"}", e, sizeof e))
					_exit(1);
			_exit(0);
		}
	}
	static float got[3 * NP];
	static int64_t gord[NO];
	int loads = 0, bad = 0;
	int ok[2] = {0, 0};
	while (running(pid, ok)) {
		train_ckpt c = {got, got + NP, got + 2 * NP, NP, gord, NO, 0, 0, 0, 0, {0}};
		char e[256], *meta = NULL;
		if (train_ckpt_load(p, &c, &meta, e, sizeof e) == 0) {
			loads++;
			int s = (int)c.step - 1;
			bad += s < 0 || s > 1 || memcmp(got, w[s], sizeof got) || memcmp(gord, ord[s], sizeof gord) ||
			       strcmp(meta, s ? "{\"by\":\"B\"}" : "{\"by\":\"A\"}");
		} else if (!strstr(e, "No such file")) {   /* none yet is fine */
			printf("#   %s\n", e);
			bad++;
		}
		free(meta);
	}
	printf("# %d checkpoint loads during the writes, %d bad\n", loads, bad);
	T_EQ_INT(bad, 0);
	T_ASSERT(ok[0] && ok[1]);
	T_EQ_INT(count_entries(dir, ".train.safetensors.tmp."), 0);
}

/* The cache promise: two processes storing one key at once (as two kgsynth
 * jobs asking the same question); a reader never sees a damaged entry. */
static void test_cache_writers(void)
{
	char err[512], key[65];
	llm_cache *c = llm_cache_open(in_dir("cache"), err, sizeof err);
	T_ASSERT(c);
	llm_cache_key("m", "the same question", 17, key);
	pid_t pid[2];
	for (int s = 0; s < 2; s++) {
		fflush(stdout);
		if ((pid[s] = fork()) == 0) {
			char e[256], *long_text = malloc(100001);
			memset(long_text, s ? 'b' : 'a', 100000);
			long_text[100000] = 0;
			for (int r = 0; r < ROUNDS; r++) {
				jv entry = jv_object();
				entry = jv_object_set(entry, jv_string("format"), jv_string(LLM_CACHE_FORMAT));
				entry = jv_object_set(entry, jv_string("key"), jv_string(key));
				entry = jv_object_set(entry, jv_string("answer"),
				                      jv_object_set(jv_object(), jv_string("text"), jv_string(long_text)));
				if (llm_cache_put(c, key, entry, e, sizeof e))
					_exit(1);
			}
			_exit(0);
		}
	}
	int reads = 0, bad = 0, ok[2] = {0, 0};
	while (running(pid, ok)) {
		jv e;
		int rc = llm_cache_get(c, key, &e, err, sizeof err);
		if (rc == 1) {
			reads++;
			jv t = jv_object_get(jv_object_get(e, jv_string("answer")), jv_string("text"));
			const char *s = jv_get_kind(t) == JV_KIND_STRING ? jv_string_value(t) : "";
			bad += strlen(s) != 100000 || (s[0] != 'a' && s[0] != 'b') || strspn(s, s[0] == 'a' ? "a" : "b") != 100000;
			jv_free(t);
		} else if (rc < 0) {
			printf("#   %s\n", err);
			bad++;
		}
	}
	printf("# %d cache reads during the writes, %d bad\n", reads, bad);
	T_EQ_INT(bad, 0);
	T_ASSERT(ok[0] && ok[1]);
	char sub[300];
	snprintf(sub, sizeof sub, "%s/%.2s", in_dir("cache"), key);
	T_EQ_INT(count_entries(sub, NULL), 0);   /* no temporary left */
	llm_cache_close(c);
}

/* ---- the output-folder lock ---- */

static void test_dir_lock(void)
{
	char err[512];
	T_EQ_INT(mkdir_p(in_dir("out"), err, sizeof err), 0);
	int fd = dir_lock(in_dir("out"), err, sizeof err);
	T_ASSERT(fd >= 0);
	/* another process is refused, and told who holds it */
	fflush(stdout);
	int pfd[2];
	T_ASSERT(pipe(pfd) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char e[512];
		int rc = dir_lock(in_dir("out"), e, sizeof e);
		(void)!write(pfd[1], e, strlen(e) + 1);
		_exit(rc < 0 ? 0 : 1);
	}
	close(pfd[1]);
	char msg[512] = "";
	(void)!read(pfd[0], msg, sizeof msg - 1);
	close(pfd[0]);
	T_ASSERT(reap(pid));
	char want[128];
	snprintf(want, sizeof want, "is in use by another process (pid %ld holds ", (long)getpid());
	printf("# %s\n", msg);
	T_ASSERT(strstr(msg, want));
	/* released by close: the next one gets it */
	close(fd);
	fd = dir_lock(in_dir("out"), err, sizeof err);
	T_ASSERT(fd >= 0);
	close(fd);
	T_EQ_INT(dir_lock(in_dir("no/such/dir"), err, sizeof err), -1);
	T_ASSERT(strstr(err, "No such file"));
}

int main(void)
{
	strcpy(dir, "/tmp/gcse-test-fileio-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_file_read);
	T_RUN(test_path_join);
	T_RUN(test_mkdir_p);
	T_RUN(test_atomic_write);
	T_RUN(test_killed_writer);
	T_RUN(test_two_writers);
	T_RUN(test_checkpoint_writers);
	T_RUN(test_cache_writers);
	T_RUN(test_dir_lock);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
