/* test_cli — the options every program shares (cli_opts, cli_getopt) and the
 * checked numeric options behind them. */
#include "child.h"
#include "base/cli.h"
#include "base/gemm.h"
#include "t.h"

static const char help[] = "usage: test_cli [options] [file ...]\n\noptions:\n  -q, --quiet\n";

/* Parse argv with a table as a program has it; optind after the options. */
static int parse(cli_opts *co, int argc, char **argv)
{
	static const struct option opts[] = {
		{"field", required_argument, 0, 'f'},
		CLI_LONG_THREADS,
		CLI_LONG_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_opts_init(co);
	optind = 0;   /* glibc: start afresh */
	int c;
	while ((c = getopt_long(argc, argv, "f:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f': break;
		default:
			if (!cli_getopt(co, c, optarg))
				cli_usage_error(NULL);
		}
	}
	return optind;
}

static void test_defaults(void)
{
	cli_opts co;
	char *argv[] = {"test_cli", "file", NULL};
	T_EQ_INT(parse(&co, 2, argv), 1);
	T_EQ_INT(co.threads, -1);
	T_EQ_INT(co.skip_bad, 0);
	T_EQ_INT(co.quiet, 0);
	T_EQ_INT(co.progress, 0);
}

static void test_all_given(void)
{
	cli_opts co;
	char *argv[] = {"test_cli", "--threads", "3", "--skip-bad", "-f", "x", "-q", "--progress", "a", "b", NULL};
	T_EQ_INT(parse(&co, 10, argv), 8);
	T_EQ_INT(co.threads, 3);
	T_EQ_INT(co.skip_bad, 1);
	T_EQ_INT(co.quiet, 1);
	T_EQ_INT(co.progress, 1);   /* --progress after -q wins */
	char *argv2[] = {"test_cli", "--progress", "--threads=0", "--quiet", NULL};
	T_EQ_INT(parse(&co, 4, argv2), 4);
	T_EQ_INT(co.threads, 0);
	T_EQ_INT(co.quiet, 1);
	T_EQ_INT(co.progress, -1);  /* -q after --progress wins */
	char *argv3[] = {"test_cli", "--threads=1024", "--thr", "7", NULL};
	T_EQ_INT(parse(&co, 4, argv3), 4);
	T_EQ_INT(co.threads, 7);    /* the last one; abbreviations work */
}

static void test_not_ours(void)
{
	cli_opts co;
	cli_opts_init(&co);
	T_EQ_INT(cli_getopt(&co, 'f', "x"), 0);
	T_EQ_INT(cli_getopt(&co, '?', NULL), 0);
	T_EQ_INT(cli_getopt(&co, 256, "1"), 0);
	T_EQ_INT(co.threads, -1);
	T_EQ_INT(co.skip_bad + co.quiet + co.progress, 0);
}

static void run_argv(void *arg)
{
	char **argv = arg;
	int argc = 0;
	while (argv[argc])
		argc++;
	cli_opts co;
	parse(&co, argc, argv);
}

/* argv in a child: its exit status, and its output in out. */
static int child_argv(char **argv, char *out, size_t cap)
{
	return t_child(run_argv, argv, out, cap);
}

static void test_threads_range(void)
{
	char out[2048];
	char *a1[] = {"test_cli", "--threads", "1025", NULL};
	T_EQ_INT(child_argv(a1, out, sizeof out), EXIT_USAGE);
	T_EQ_STR(out, "test_cli: --threads: 1025 is out of range [0, 1024]\n"
	              "usage: test_cli [options] [file ...]\n"
	              "Try 'test_cli --help' for more information.\n");
	char *a2[] = {"test_cli", "--threads=-1", NULL};
	T_EQ_INT(child_argv(a2, out, sizeof out), EXIT_USAGE);
	T_ASSERT(strstr(out, "test_cli: --threads: -1 is out of range [0, 1024]\n") == out);
	char *a3[] = {"test_cli", "--threads", "4x", NULL};
	T_EQ_INT(child_argv(a3, out, sizeof out), EXIT_USAGE);
	T_ASSERT(strstr(out, "test_cli: --threads: '4x' is not an integer\n") == out);
}

static void test_help_version(void)
{
	char out[2048], want[512];
	char *a1[] = {"test_cli", "-q", "--help", "--threads=5000", NULL};
	T_EQ_INT(child_argv(a1, out, sizeof out), EXIT_OK);
	T_EQ_STR(out, help);
	char *a2[] = {"test_cli", "-V", NULL};
	T_EQ_INT(child_argv(a2, out, sizeof out), EXIT_OK);
	/* the version, then the GEMM backend and its kernels (base/gemm.h) */
	snprintf(want, sizeof want, "test_cli (gcse) %s\n%s\n", GCSE_VERSION, gemm_describe());
	T_EQ_STR(out, want);
	char *a3[] = {"test_cli", "--quiet=1", NULL};   /* takes no argument */
	T_EQ_INT(child_argv(a3, out, sizeof out), EXIT_USAGE);
	T_ASSERT(strstr(out, "usage: test_cli [options] [file ...]\n"));
}

int main(void)
{
	cli_init("test_cli", help);
	T_RUN(test_defaults);
	T_RUN(test_all_given);
	T_RUN(test_not_ours);
	T_RUN(test_threads_range);
	T_RUN(test_help_version);
	return t_done();
}
