/* test_llmrun.c — the input pass of kgextract and kgsynth: every record
 * handed to take in input order, bad ones (take's or the reader's, with
 * --skip-bad) passed over without ending the pass, and the pass stopped at
 * a fatal answer. The client side (drain, llm_finish) runs in the kgllm CLI
 * tests against a live fake server. */
#include "base/cli.h"
#include "llm/llmrun.h"
#include "t.h"

#include <stdio.h>
#include <unistd.h>

static char dir[] = "/tmp/gcse-test-llmrun-XXXXXX";

typedef struct seen {
	double a[16];
	int n;          /* take's calls */
	int fatal_at;   /* the value of "a" at which take returns fatal; 0: never */
} seen;

/* take: records whose "a" is a number are kept; others are bad */
static int take(void *ctx, ndjson_reader *r, jv rec)
{
	seen *s = ctx;
	double x;
	int ok = ndjson_get_number(r, rec, "a", &x);
	jv_free(rec);
	if (!ok)
		return LLM_TAKE_BAD;
	s->a[s->n++] = x;
	return s->fatal_at && x == s->fatal_at ? LLM_TAKE_FATAL : LLM_TAKE_OK;
}

static char *write_input(const char *data)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/in.ndjson", dir);
	FILE *f = fopen(path, "wb");
	fputs(data, f);
	fclose(f);
	return path;
}

static void test_order_and_bad(void)
{
	char *f = write_input("{\"a\":1}\n{bad\n{\"a\":\"x\"}\n{\"a\":2}\n\n{\"a\":3}\n");
	cli_opts co;
	cli_opts_init(&co);
	co.skip_bad = 1;
	co.progress = -1;
	seen s = {0};
	llm_run_records(&f, 1, &co, NULL, take, &s);
	T_EQ_INT(s.n, 3);
	T_NEAR(s.a[0], 1, 0);
	T_NEAR(s.a[1], 2, 0);
	T_NEAR(s.a[2], 3, 0);
}

static void test_fatal_stops(void)
{
	char *f = write_input("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
	cli_opts co;
	cli_opts_init(&co);
	co.progress = -1;
	seen s = {.fatal_at = 2};
	llm_run_records(&f, 1, &co, NULL, take, &s);
	T_EQ_INT(s.n, 2);                          /* nothing read after the fatal one */
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	cli_prog = "test_llmrun";
	T_RUN(test_order_and_bad);
	T_RUN(test_fatal_stops);
	char path[300];
	snprintf(path, sizeof path, "%s/in.ndjson", dir);
	unlink(path);
	rmdir(dir);
	return t_done();
}
