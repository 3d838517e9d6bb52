/* lib/base/: the tool conventions under every program (messages, options, NDJSON,
 * files, strings, hashing, random numbers, statistics) and the one door to the BLAS
 * (gemm.h); it depends on nothing else in
 * lib/, and only cli and ndjson end the process (usage errors, bad lines,
 * a closed stdout).
 *
 * cli.h — conventions shared by every program: messages as "prog: ...",
 * exit codes (0 ok, 1 data/runtime error, 2 usage), checked numeric options,
 * --threads, a progress line on stderr only when it is a terminal.
 *
 * Typical main:
 *   cli_init("embed", usage_text);   // usage_text: full --help text
 *   ... getopt_long loop; unknown option -> cli_usage_error(NULL);
 *   n = cli_long("--batch-size", optarg, 1, 65536);
 */
#ifndef GCSE_CLI_H
#define GCSE_CLI_H
#include <getopt.h>
#include <stdio.h>
#include <stdnoreturn.h>

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2 };

extern const char *cli_prog;     /* program name, for messages */

/* Remember the program name and its --help text; ignore SIGPIPE so that a
 * closed stdout is seen as EPIPE by the writer (which then exits 0). */
void cli_init(const char *prog, const char *help);
/* "prog: message\n" on stderr. */
void cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message\n" on stderr, exit 1. */
noreturn void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message\n" (if fmt) then "usage: ..." line(s) and "Try 'prog --help'", exit 2. */
noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the --help text to stdout, exit 0. */
noreturn void cli_help(void);
/* Print "prog (gcse) VERSION" and the GEMM line (gemm_describe) to stdout,
 * exit 0. */
noreturn void cli_version(void);

/* Checked numeric options: whole string must parse, value within [lo, hi];
 * otherwise a usage error naming the option. */
long cli_long(const char *opt, const char *arg, long lo, long hi);
double cli_double(const char *opt, const char *arg, double lo, double hi);
/* --threads N: 1..1024; 0 or absent means all cores. Sets OpenMP and the
 * GEMM backend (gemm_set_threads). A count above the cores this process may
 * run on (its affinity mask, cli_cores) is capped to them with a one-line
 * notice on stderr (none after -q): oversubscribed GEMM threads spin in each
 * other's barriers. */
int cli_threads(const char *arg);
void cli_set_threads(int n);     /* n <= 0: all cores available */
int cli_threads_for(int n);      /* the count cli_set_threads uses for n */
int cli_cores(void);             /* CPUs in the affinity mask (>= 1) */

/* Allocation that never returns NULL (dies with "out of memory"). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Progress line on stderr: enabled when stderr is a tty (or forced with
 * --progress) and not -q. progress_tick is cheap; it redraws at most 4 times
 * a second: "\rprog: N records, R/s, Ts". progress_done ends the line. */
typedef struct progress {
	int enabled;
	long n;
	double t0, last;
	const char *unit;
} progress;
void progress_init(progress *p, int mode, const char *unit); /* mode: -1 quiet, 0 auto, 1 forced */
void progress_tick(progress *p, long n_done);
void progress_done(progress *p);

double now_seconds(void);        /* monotonic clock */

/* The options every program spells the same. Splice CLI_LONG_OPTIONS
 * (--skip-bad, -q/--quiet, --progress, -h/--help, -V/--version, in this
 * order) and, where the program has it, CLI_LONG_THREADS into the
 * getopt_long table, "qhV" into the short options; let cli_getopt() take
 * them in the loop; apply the threads after it (as the lib/llm.h options):
 *
 *   cli_opts co;
 *   cli_opts_init(&co);
 *   static const struct option opts[] = { {"field", required_argument, 0, 'f'},
 *       CLI_LONG_THREADS, CLI_LONG_OPTIONS, {0, 0, 0, 0} };
 *   while ((c = getopt_long(argc, argv, "f:qhV", opts, NULL)) != -1) switch (c) {
 *       case 'f': ...; break;
 *       default: if (!cli_getopt(&co, c, optarg)) cli_usage_error(NULL);
 *   }
 *   cli_set_threads(co.threads);
 *   progress_init(&pg, co.progress, "records");
 */
enum { CLI_OPT_THREADS = 0x4300, CLI_OPT_SKIP_BAD, CLI_OPT_PROGRESS };

#define CLI_LONG_THREADS {"threads", required_argument, NULL, CLI_OPT_THREADS}
#define CLI_LONG_OPTIONS \
	{"skip-bad", no_argument, NULL, CLI_OPT_SKIP_BAD}, \
	{"quiet", no_argument, NULL, 'q'}, \
	{"progress", no_argument, NULL, CLI_OPT_PROGRESS}, \
	{"help", no_argument, NULL, 'h'}, \
	{"version", no_argument, NULL, 'V'}

typedef struct cli_opts {
	int threads;     /* --threads N, 0..1024 (0: all cores); -1: not given */
	int skip_bad;    /* --skip-bad */
	int quiet;       /* -q given */
	int progress;    /* progress_init's mode: -1 after -q, 1 after --progress
	                  * (the later one wins), else 0 */
} cli_opts;

void cli_opts_init(cli_opts *o);
/* Take option c (getopt_long's return) if it is one of the above: 1, else 0.
 * A bad --threads is a usage error; -q also silences the GEMM notice
 * (gemm_set_notice); -h prints the help and -V the version (exit 0). */
int cli_getopt(cli_opts *o, int c, const char *arg);
#endif
