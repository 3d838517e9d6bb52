/* test_checkpoint.c — training checkpoints: round trip, truncation,
 * corruption, mismatches, a failed save, hyperparameter comparison (the
 * atomic writer under them: test_fileio). */
#include "train/checkpoint.h"
#include "train/loss.h"
#include "base/rng.h"
#include "nn/safetensors.h"
#include "t.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)len + 1);
	*n = fread(b, 1, (size_t)len, f);
	b[*n] = 0;
	fclose(f);
	return b;
}

static void spit(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A training state with n parameters and m examples, filled from seed. */
typedef struct state {
	train_ckpt c;
	float buf[3 * 1000];
	int64_t order[50];
} state;

static void fill(state *s, size_t n, size_t m, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	rng r;
	rng_seed(&r, seed);
	s->c.params = s->buf;
	s->c.adam_m = s->buf + n;
	s->c.adam_v = s->buf + 2 * n;
	s->c.nparams = n;
	s->c.order = s->order;
	s->c.norder = m;
	rng_fill_normal(&r, s->buf, 3 * n, 0, 1);
	rng_permutation(&r, s->order, m);
	s->c.step = 1234;
	s->c.epoch = 2;
	s->c.pos = 17;
	s->c.adam_t = 1234;
	memcpy(s->c.rng, r.s, sizeof r.s);
}

static void empty(state *s, size_t n, size_t m)
{
	memset(s, 0, sizeof *s);
	s->c.params = s->buf;
	s->c.adam_m = s->buf + n;
	s->c.adam_v = s->buf + 2 * n;
	s->c.nparams = n;
	s->c.order = s->order;
	s->c.norder = m;
}

static const char *META = "{\"loss\":\"gcse\",\"lr\":1e-05,\"batch_size\":128}";

static void test_round_trip(void)
{
	char p[256], err[512];
	path_in(p, sizeof p, "a.ckpt");
	static state s, t;
	fill(&s, 1000, 50, 1);
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	char tmp[256];
	path_in(tmp, sizeof tmp, ".a.ckpt.tmp");
	T_ASSERT(!exists(tmp));
	empty(&t, 1000, 50);
	char *meta = NULL;
	T_EQ_INT(train_ckpt_load(p, &t.c, &meta, err, sizeof err), 0);
	T_ASSERT(!memcmp(s.buf, t.buf, 3 * 1000 * sizeof(float)));
	T_ASSERT(!memcmp(s.order, t.order, sizeof s.order));
	T_EQ_INT(t.c.step, 1234);
	T_EQ_INT(t.c.epoch, 2);
	T_EQ_INT(t.c.pos, 17);
	T_EQ_INT(t.c.adam_t, 1234);
	T_ASSERT(!memcmp(s.c.rng, t.c.rng, sizeof s.c.rng));
	T_EQ_STR(meta, META);
	free(meta);
	/* PyTorch-readable: a plain safetensors file with the documented tensors */
	st_file *f = st_open(p, err, sizeof err);
	T_ASSERT(f);
	const st_tensor *pt = st_find(f, "params");
	T_ASSERT(pt && pt->dtype == ST_F32 && pt->numel == 1000);
	T_EQ_STR(st_meta(f, "format"), "gcse-train-checkpoint");
	st_close(f);
	/* overwrite with a new state: the file is replaced */
	fill(&s, 1000, 50, 2);
	T_EQ_INT(train_ckpt_save(p, &s.c, NULL, err, sizeof err), 0);
	T_EQ_INT(train_ckpt_load(p, &t.c, &meta, err, sizeof err), 0);
	T_ASSERT(!memcmp(s.buf, t.buf, 3 * 1000 * sizeof(float)));
	T_EQ_STR(meta, "");
	free(meta);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), 0);
}

static void test_truncated(void)
{
	char p[256], q[256], err[512];
	path_in(p, sizeof p, "b.ckpt");
	path_in(q, sizeof q, "b-cut.ckpt");
	static state s, t;
	fill(&s, 1000, 50, 3);
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	size_t n;
	char *b = slurp(p, &n);
	T_ASSERT(b && n > 12000);
	size_t cuts[] = { 0, 5, 8, 100, n / 2, n - 1 };
	for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
		spit(q, b, cuts[k]);
		empty(&t, 1000, 50);
		err[0] = 0;
		T_EQ_INT(train_ckpt_load(q, &t.c, NULL, err, sizeof err), -1);
		printf("# cut at %zu: %s\n", cuts[k], err);
		T_ASSERT(strstr(err, q) == err);   /* names the file */
		T_ASSERT(t.c.step == 0 && t.buf[0] == 0);   /* nothing copied */
	}
	free(b);
	T_EQ_INT(train_ckpt_load("/nonexistent/x.ckpt", &t.c, NULL, err, sizeof err), -1);
	T_ASSERT(strstr(err, "/nonexistent/x.ckpt"));
}

static void test_corrupted(void)
{
	char p[256], q[256], err[512];
	path_in(p, sizeof p, "c.ckpt");
	path_in(q, sizeof q, "c-bad.ckpt");
	static state s, t;
	fill(&s, 1000, 50, 4);
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	size_t n;
	char *b = slurp(p, &n);
	/* flip one bit in each of several places of the data section (the last
	 * 12000 bytes are params / m / v; the tail is the counters, rng, order) */
	size_t where[] = { n - 1, n - 40, n - 500, n - 6000, n - 11999 };
	for (size_t k = 0; k < sizeof where / sizeof *where; k++) {
		b[where[k]] ^= 0x10;
		spit(q, b, n);
		b[where[k]] ^= 0x10;
		empty(&t, 1000, 50);
		err[0] = 0;
		T_EQ_INT(train_ckpt_load(q, &t.c, NULL, err, sizeof err), -1);
		printf("# flip at %zu: %s\n", where[k], err);
		T_ASSERT(strstr(err, "CRC mismatch"));
		T_ASSERT(t.buf[0] == 0 && t.c.step == 0);
	}
	/* a byte of the JSON header: some error, never success */
	b[20] ^= 0x01;
	spit(q, b, n);
	T_EQ_INT(train_ckpt_load(q, &t.c, NULL, err, sizeof err), -1);
	printf("# header byte: %s\n", err);
	free(b);
	/* not a checkpoint: a safetensors file of something else */
	float w[4] = { 1, 2, 3, 4 };
	int64_t shape[1] = { 4 };
	st_out o = { "params", ST_F32, 1, shape, w };
	T_ASSERT(st_write(q, &o, 1, NULL, err, sizeof err) == 0);
	T_EQ_INT(train_ckpt_load(q, &t.c, NULL, err, sizeof err), -1);
	T_ASSERT(strstr(err, "not a gcse training checkpoint"));
}

static void test_mismatch(void)
{
	char p[256], err[512];
	path_in(p, sizeof p, "d.ckpt");
	static state s, t;
	fill(&s, 1000, 50, 5);
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	empty(&t, 999, 50);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), -1);
	printf("# %s\n", err);
	T_ASSERT(strstr(err, "1000 parameters") && strstr(err, "999"));
	empty(&t, 1000, 49);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), -1);
	printf("# %s\n", err);
	T_ASSERT(strstr(err, "50 examples") && strstr(err, "49"));
	/* invalid contents that still carry valid CRCs */
	s.c.pos = 51;
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	empty(&t, 1000, 50);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), -1);
	T_ASSERT(strstr(err, "invalid counters"));
	s.c.pos = 3;
	s.order[7] = 50;
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), -1);
	T_ASSERT(strstr(err, "invalid example order"));
	s.order[7] = 7;
	memset(s.c.rng, 0, sizeof s.c.rng);
	T_EQ_INT(train_ckpt_save(p, &s.c, META, err, sizeof err), 0);
	T_EQ_INT(train_ckpt_load(p, &t.c, NULL, err, sizeof err), -1);
	T_ASSERT(strstr(err, "generator state"));
}

/* A save that cannot rename (a non-empty folder has the name) fails and
 * leaves the folder as it was (the writer itself: test_fileio). */
static void test_save_fails_cleanly(void)
{
	char d[256], df[256], err[512];
	path_in(d, sizeof d, "adir");
	path_in(df, sizeof df, "adir/x");
	mkdir(d, 0755);
	spit(df, "x", 1);
	static state s;
	fill(&s, 10, 5, 6);
	T_EQ_INT(train_ckpt_save(d, &s.c, META, err, sizeof err), -1);
	printf("# %s\n", err);
	T_ASSERT(strstr(err, "adir"));
	T_ASSERT(exists(df));
	remove(df);
	rmdir(d);
}

static void test_meta_diff(void)
{
	char msg[512];
	const char *now = "{\"loss\":\"gcse\",\"lr\":3e-05,\"batch_size\":128,\"threads\":2}";
	const char *const ign[] = { "threads", NULL };
	T_EQ_INT(ckpt_meta_diff(META, META, NULL, msg, sizeof msg), 0);
	T_EQ_STR(msg, "");
	T_EQ_INT(ckpt_meta_diff(META, now, ign, msg, sizeof msg), 1);
	T_EQ_STR(msg, "lr: 1e-05 (checkpoint) vs 3e-05 (now)");
	T_EQ_INT(ckpt_meta_diff(META, now, NULL, msg, sizeof msg), 2);
	T_ASSERT(strstr(msg, "threads: (absent) (checkpoint) vs 2 (now)"));
	T_EQ_INT(ckpt_meta_diff("", now, NULL, msg, sizeof msg), -1);
	T_EQ_INT(ckpt_meta_diff("[1]", now, NULL, msg, sizeof msg), -1);
	/* a short buffer truncates the message, not the count */
	char tiny[8];
	T_EQ_INT(ckpt_meta_diff(META, now, NULL, tiny, sizeof tiny), 2);
	T_EQ_INT(strlen(tiny), 7);
}

/* The run's meta: settings compared on resume (options: a usage error;
 * the data and the tokenizer: a data error that says which), progress read
 * back, an older meta without tokenizer_crc32 still resumes. */
static void test_meta_resume(void)
{
	train_settings s = {
		.loss = LOSS_GCSE, .tau = 0.05, .sigma = 0.17, .word_repeat = 1, .epochs = 2,
		.batch_size = 128, .lr = 1e-5, .max_length = 64, .warmup = 190, .total_steps = 500,
		.grad_clip = 1.0, .hidden_dropout = 0.1, .attention_dropout = 0.1, .seed = 42, .shuffle = 1,
		.log_every = 1, .examples = 40, .data_crc = 12345u, .params = 1000, .tokenizer_crc = 777u,
	};
	train_progress p = {.win_loss = 1.5, .win_gate = 0.25, .win_steps = 3, .win_examples = 12,
	                    .best_eval = 71.5, .best_step = 300, .saved_out = 1, .has_pooler = 1}, q;
	char *meta = train_meta_text(&s, &p), err[2048];
	T_ASSERT(meta && strstr(meta, "\"tokenizer_crc32\":777") && strstr(meta, "\"lr\":1e-05"));
	int usage = -1;
	T_EQ_INT(train_meta_resume(meta, &s, &q, &usage, err, sizeof err), 0);
	T_ASSERT(q.win_loss == 1.5 && q.win_gate == 0.25 && q.win_steps == 3 && q.win_examples == 12);
	T_ASSERT(q.best_eval == 71.5 && q.best_step == 300 && q.saved_out == 1 && q.has_pooler == 1);
	/* an option differs: usage */
	train_settings o = s;
	o.lr = 3e-5;
	T_EQ_INT(train_meta_resume(meta, &o, &q, &usage, err, sizeof err), -1);
	T_EQ_INT(usage, 1);
	T_EQ_STR(err, "the checkpoint was made with other settings: lr: 1e-05 (checkpoint) vs 3e-05 (now)");
	/* other token ids, the same tokenizer: the input */
	o = s;
	o.data_crc = 999;
	T_EQ_INT(train_meta_resume(meta, &o, &q, &usage, err, sizeof err), -1);
	T_EQ_INT(usage, 0);
	T_ASSERT(strstr(err, "the input is not the data the run was trained on") &&
	         strstr(err, "(data_crc32 12345, now 999): other records") && !strstr(err, "vocabulary"));
	/* the tokenizer changed (and so the token ids), and an option: the tokenizer, then the option */
	o.tokenizer_crc = 778;
	o.seed = 7;
	T_EQ_INT(train_meta_resume(meta, &o, &q, &usage, err, sizeof err), -1);
	T_EQ_INT(usage, 0);
	printf("# %s\n", err);
	T_ASSERT(strstr(err, "the checkpoint's tokenizer (vocab.txt, tokenizer_config.json) has changed since the run started (tokenizer_crc32 777, now 778)") &&
	         strstr(err, "; and other settings: seed: 42 (checkpoint) vs 7 (now)"));
	/* a meta from before tokenizer_crc32: compared without it */
	char *old = strdup(meta), *k = strstr(old, ",\"tokenizer_crc32\":777");
	T_ASSERT(k);
	memmove(k, k + strlen(",\"tokenizer_crc32\":777"), strlen(k + strlen(",\"tokenizer_crc32\":777")) + 1);
	o = s;
	o.tokenizer_crc = 1;
	T_EQ_INT(train_meta_resume(old, &o, &q, &usage, err, sizeof err), 0);
	o.data_crc = 5;
	T_EQ_INT(train_meta_resume(old, &o, &q, &usage, err, sizeof err), -1);
	T_ASSERT(usage == 0 && strstr(err, "other records, or an edited vocabulary in the checkpoint folder"));
	/* unreadable */
	T_EQ_INT(train_meta_resume("{\"lr\":", &s, &q, &usage, err, sizeof err), -1);
	T_ASSERT(usage == 0 && strstr(err, "not a JSON object"));
	T_EQ_INT(train_meta_resume("", &s, &q, &usage, err, sizeof err), -1);
	free(old);
	free(meta);
	/* a fresh run: no best yet */
	q = train_progress_start(1);
	T_ASSERT(q.best_eval < 0 && isinf(q.best_eval) && q.has_pooler == 1 && q.win_steps == 0);
}

int main(void)
{
	strcpy(dir, "/tmp/gcse-test-ckpt-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(test_round_trip);
	T_RUN(test_truncated);
	T_RUN(test_corrupted);
	T_RUN(test_mismatch);
	T_RUN(test_save_fails_cleanly);
	T_RUN(test_meta_diff);
	T_RUN(test_meta_resume);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
