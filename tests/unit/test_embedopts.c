/* test_embedopts — the options of the programs that embed text: a table as
 * embed has it, the values they leave, bad values as usage errors. */
#include "child.h"
#include "base/cli.h"
#include "embed/embedopts.h"
#include "nn/model.h"
#include "t.h"
#include "wordvec/wordavg.h"

static const char help[] = "usage: test_embedopts [options] [file ...]\n\noptions:\n";

/* Parse a NULL-terminated argv with embed's table; optind after the options. */
static int parse(embed_opts *eo, char **argv)
{
	static const struct option opts[] = {
		EMBED_LONG_MODEL,
		EMBED_LONG_VECTORS,
		{"field", required_argument, 0, 'f'},
		EMBED_LONG_POOLING,
		EMBED_LONG_NORMALIZE,
		EMBED_LONG_MAX_LENGTH,
		EMBED_LONG_BATCH_SIZE,
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	int argc = 0;
	while (argv[argc])
		argc++;
	cli_opts co;
	cli_opts_init(&co);
	embed_opts_init(eo);
	optind = 0;   /* glibc: start afresh */
	int c;
	while ((c = getopt_long(argc, argv, "m:f:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': break;
		default:
			if (!embed_getopt(eo, c, optarg) && !cli_getopt(&co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	return optind;
}

static void test_defaults(void)
{
	embed_opts eo;
	char *argv[] = {"test_embedopts", "-f", "text", "file", NULL};
	T_EQ_INT(parse(&eo, argv), 3);
	T_ASSERT(!eo.model && !eo.vectors);
	T_EQ_INT(eo.sif_a == 0, 1);
	T_EQ_INT(eo.enc.batch_size, 64);
	T_EQ_INT(eo.enc.max_length, 0);
	T_EQ_INT(eo.enc.pooling, -1);
	T_EQ_INT(eo.enc.normalize, -1);
	T_EQ_INT(eo.model_only, 0);
}

static void test_model_options(void)
{
	embed_opts eo;
	char *a1[] = {"test_embedopts", "-m", "dir", "--pooling=mean", "--no-normalize", "--max-length", "128",
	              "--batch-size", "8", "x", NULL};
	T_EQ_INT(parse(&eo, a1), 9);
	T_EQ_STR(eo.model, "dir");
	T_EQ_INT(eo.enc.pooling, BERT_POOL_MEAN);
	T_EQ_INT(eo.enc.normalize, 0);
	T_EQ_INT(eo.enc.max_length, 128);
	T_EQ_INT(eo.enc.batch_size, 8);
	T_EQ_INT(eo.model_only, 1);
	char *a2[] = {"test_embedopts", "--model=d2", "--no-normalize", "--normalize", "--pool", "pooler", NULL};
	parse(&eo, a2);
	T_EQ_STR(eo.model, "d2");
	T_EQ_INT(eo.enc.normalize, 1);      /* the last one wins */
	T_EQ_INT(eo.enc.pooling, BERT_POOL_POOLER);
	/* each of --pooling, --max-length, --batch-size alone marks model_only */
	char *a3[][4] = {{"test_embedopts", "--pooling", "cls", NULL},
	                 {"test_embedopts", "--max-length", "2", NULL},
	                 {"test_embedopts", "--batch-size", "65536", NULL}};
	for (int i = 0; i < 3; i++) {
		parse(&eo, a3[i]);
		T_EQ_INT(eo.model_only, 1);
	}
	T_EQ_INT(eo.enc.batch_size, 65536);
}

static void test_vectors_options(void)
{
	embed_opts eo;
	char *a1[] = {"test_embedopts", "--vectors", "v.txt", "--sif", "--normalize", NULL};
	parse(&eo, a1);
	T_EQ_STR(eo.vectors, "v.txt");
	T_NEAR(eo.sif_a, WORDAVG_SIF_A, 0);
	T_EQ_INT(eo.enc.normalize, 1);
	T_EQ_INT(eo.model_only, 0);      /* none of these needs a model */
	T_ASSERT(!eo.model);
	char *a2[] = {"test_embedopts", "--vectors=w", "--sif-a", "0.25", NULL};
	parse(&eo, a2);
	T_NEAR(eo.sif_a, 0.25, 0);
	char *a3[] = {"test_embedopts", "--sif-a=1", "--sif", NULL};
	parse(&eo, a3);
	T_NEAR(eo.sif_a, WORDAVG_SIF_A, 0);
}

/* --pc-from: taken with the vectors' options. The usage errors of the
 * vectors-only options come from embed_opts_check_vectors_only: --sif or
 * --pc-from without --vectors; --pc-from "-" when the input is standard
 * input too. */
static void check_pc(void *arg)
{
	char **argv = arg;
	embed_opts eo;
	int i = parse(&eo, argv), n = 0;
	while (argv[i + n])
		n++;
	embed_opts_check_vectors_only(&eo, argv + i, n);
	exit(0);
}

static int pc_case(char **argv, int want_rc, const char *want)
{
	char out[2048];
	int rc = t_child(check_pc, argv, out, sizeof out);
	if (rc != want_rc || strncmp(out, want, strlen(want))) {
		printf("#   exit %d, output: %s", rc, out);
		return 0;
	}
	return 1;
}

static void test_pc_from(void)
{
	embed_opts eo;
	char *a1[] = {"test_embedopts", "--vectors", "v", "--sif", "--pc-from", "c.ndjson", NULL};
	parse(&eo, a1);
	T_EQ_STR(eo.pc_from, "c.ndjson");
	T_EQ_INT(eo.model_only, 0);
	T_ASSERT(pc_case(a1, 0, ""));                                   /* stdin input, fit from a file */
	char *a2[] = {"test_embedopts", "-m", "d", "--pc-from", "c.ndjson", "in", NULL};
	T_ASSERT(pc_case(a2, EXIT_USAGE, "test_embedopts: --pc-from needs --vectors\n"));
	char *a3[] = {"test_embedopts", "--vectors", "v", "--pc-from", "-", NULL};
	T_ASSERT(pc_case(a3, EXIT_USAGE, "test_embedopts: --pc-from -: standard input is also the input\n"));
	char *a4[] = {"test_embedopts", "--vectors", "v", "--pc-from", "-", "a", "-", NULL};
	T_ASSERT(pc_case(a4, EXIT_USAGE, "test_embedopts: --pc-from -: standard input is also the input\n"));
	char *a5[] = {"test_embedopts", "--vectors", "v", "--pc-from", "-", "in.ndjson", NULL};
	T_ASSERT(pc_case(a5, 0, ""));                                   /* stdin for the fit only */
	char *a6[] = {"test_embedopts", "-m", "d", "--sif-a", "0.5", "--pc-from", "c.ndjson", NULL};
	T_ASSERT(pc_case(a6, EXIT_USAGE, "test_embedopts: --sif and --sif-a need --vectors\n"));
}

static void test_not_ours(void)
{
	embed_opts eo;
	embed_opts_init(&eo);
	T_EQ_INT(embed_getopt(&eo, 'q', NULL), 0);
	T_EQ_INT(embed_getopt(&eo, CLI_OPT_THREADS, "2"), 0);
	T_EQ_INT(embed_getopt(&eo, '?', NULL), 0);
	T_EQ_INT(eo.enc.batch_size, 64);
	T_EQ_INT(eo.model_only, 0);
}

static void run_argv(void *arg)
{
	embed_opts eo;
	parse(&eo, arg);
}

/* argv in a child: 1 when it exits 2 and its output starts with want and
 * goes on with the usage line. */
static int usage_error(char **argv, const char *want)
{
	char out[2048];
	int rc = t_child(run_argv, argv, out, sizeof out);
	size_t n = strlen(want);
	if (rc != EXIT_USAGE || strncmp(out, want, n) ||
	    strcmp(out + n, "usage: test_embedopts [options] [file ...]\n"
	                    "Try 'test_embedopts --help' for more information.\n")) {
		printf("#   exit %d, output: %s", rc, out);
		return 0;
	}
	return 1;
}

static void test_unknown_pooling(void)
{
	char *a1[] = {"test_embedopts", "--pooling", "avg", NULL};
	T_ASSERT(usage_error(a1, "test_embedopts: --pooling: 'avg' is not cls, pooler, mean or max\n"));
	char *a2[] = {"test_embedopts", "-m", "d", "--pooling=", NULL};
	T_ASSERT(usage_error(a2, "test_embedopts: --pooling: '' is not cls, pooler, mean or max\n"));
	char *a3[] = {"test_embedopts", "--pooling=CLS", NULL};   /* names are lower case */
	T_ASSERT(usage_error(a3, "test_embedopts: --pooling: 'CLS' is not cls, pooler, mean or max\n"));
}

static void test_out_of_range(void)
{
	static const char *const cases[][3] = {   /* option, value, message */
		{"--batch-size", "0", "--batch-size: 0 is out of range [1, 65536]"},
		{"--batch-size", "65537", "--batch-size: 65537 is out of range [1, 65536]"},
		{"--max-length", "1", "--max-length: 1 is out of range [2, 1048576]"},
		{"--max-length", "64k", "--max-length: '64k' is not an integer"},
		{"--sif-a", "0", "--sif-a: 0 is out of range [1e-12, 1]"},
		{"--sif-a", "1.5", "--sif-a: 1.5 is out of range [1e-12, 1]"},
		{"--sif-a", "nan", "--sif-a: 'nan' is not a number"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char want[256];
		snprintf(want, sizeof want, "test_embedopts: %s\n", cases[i][2]);
		char *argv[] = {"test_embedopts", (char *)cases[i][0], (char *)cases[i][1], NULL};
		T_ASSERT(usage_error(argv, want));
	}
}

int main(void)
{
	cli_init("test_embedopts", help);
	T_RUN(test_defaults);
	T_RUN(test_model_options);
	T_RUN(test_vectors_options);
	T_RUN(test_pc_from);
	T_RUN(test_not_ours);
	T_RUN(test_unknown_pooling);
	T_RUN(test_out_of_range);
	return t_done();
}
