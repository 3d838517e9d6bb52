/* test_textembed — lib/embed/textembed.h, the text embedder of embed and
 * stsscore: with --vectors the same vectors and counts as the word average
 * itself, with a model the same bits as the encoder itself; an unreadable
 * model ends the process with "prog: DIR: ..." (exit 1). */
#include "child.h"
#include "base/cli.h"
#include "embed/textembed.h"
#include "t.h"
#include "wordvec/wordavg.h"

#include <stdlib.h>
#include <string.h>

static const char help[] = "usage: test_textembed\n";

static const char *texts[3] = { "the cat and the dog", "zzz qqq", "dog" };

static void test_vectors(void)
{
	char dir[] = "/tmp/test_textembed.XXXXXX", path[64], err[256];
	T_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/v.txt", dir);
	FILE *f = fopen(path, "w");
	T_ASSERT(f);
	fputs("the 0.5 0.5 0\ncat 1 0 0\ndog 0 1 2\nand 0 0 1\n", f);
	fclose(f);
	embed_opts eo;
	embed_opts_init(&eo);
	eo.vectors = path;
	text_embedder t;
	text_embedder_open(&t, &eo, NULL, NULL, 0, 0);
	T_ASSERT(t.wa && !t.enc);
	T_EQ_INT(t.dim, 3);
	T_EQ_INT(text_embedder_max_length(&t), 0);
	wordavg *w = wordavg_open(path, 0, err, sizeof err);
	T_ASSERT(w);
	for (int norm = 0; norm < 2; norm++) {
		float got[9], want[9];
		unsigned char trunc[3] = { 7, 7, 7 };
		long nempty = 5, ntrunc = 3;
		int wempty = 0;
		text_embedder_embed(&t, texts, NULL, 3, got, norm, trunc, &nempty, &ntrunc);
		T_ASSERT(wordavg_embed_many(w, texts, NULL, 3, want, norm, &wempty) == 0);
		T_ASSERT(!memcmp(got, want, sizeof got));
		T_EQ_INT(wempty, 1);
		T_EQ_INT(nempty, 6);       /* "zzz qqq" has no known word */
		T_EQ_INT(ntrunc, 3);
		T_ASSERT(!trunc[0] && !trunc[1] && !trunc[2]);
	}
	wordavg_free(w);
	text_embedder_close(&t);
	T_ASSERT(!t.wa && !t.enc);
	remove(path);
	rmdir(dir);
}

static void model_dir(char *out, size_t cap)
{
	const char *root = getenv("GCSE_ROOT");
	snprintf(out, cap, "%s/tests/data/models/tiny-cls", root && *root ? root : ".");
}

static void test_model(void)
{
	char dir[1024], err[512];
	model_dir(dir, sizeof dir);
	embed_opts eo;
	embed_opts_init(&eo);
	eo.enc.max_length = 4;      /* the first text is longer: cut */
	text_embedder t;
	text_embedder_open(&t, &eo, dir, NULL, 0, 0);
	T_ASSERT(t.enc && !t.wa);
	T_EQ_INT(text_embedder_max_length(&t), 4);
	encoder *e = encoder_open(dir, &eo.enc, err, sizeof err);
	T_ASSERT(e);
	T_EQ_INT(t.dim, encoder_dim(e));
	size_t n = 3 * (size_t)t.dim;
	float *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
	unsigned char trunc[3], wtrunc[3];
	long nempty = 0, ntrunc = 2;
	int wn = 0;
	text_embedder_embed(&t, texts, NULL, 3, got, 1, trunc, &nempty, &ntrunc);
	T_ASSERT(encoder_embed(e, texts, NULL, 3, want, &wn, wtrunc, err, sizeof err) == 0);
	T_ASSERT(!memcmp(got, want, n * sizeof *got));
	T_ASSERT(!memcmp(trunc, wtrunc, sizeof trunc));
	T_ASSERT(wn >= 1 && trunc[0] == 1 && trunc[2] == 0);
	T_EQ_INT(ntrunc, 2 + wn);
	T_EQ_INT(nempty, 0);
	free(got), free(want);
	encoder_free(e);
	text_embedder_close(&t);
}

static void open_missing(void *arg)
{
	embed_opts eo;
	embed_opts_init(&eo);
	text_embedder t;
	text_embedder_open(&t, &eo, arg, NULL, 0, 0);
}

static void test_missing_model(void)
{
	char out[1024];
	int rc = t_child(open_missing, "/nonexistent/model", out, sizeof out);
	T_EQ_INT(rc, 1);
	T_ASSERT(!strncmp(out, "test_textembed: /nonexistent/model: ", 36));
}

int main(void)
{
	cli_init("test_textembed", help);
	T_RUN(test_vectors);
	T_RUN(test_model);
	T_RUN(test_missing_model);
	return t_done();
}
