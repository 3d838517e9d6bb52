/* cli.c — messages, exit codes, checked options, threads, progress, the
 * options every program shares. See cli.h. */
#include "base/cli.h"
#include "base/gemm.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *cli_prog = "gcse";
static const char *cli_help_text = "";

void cli_init(const char *prog, const char *help)
{
	cli_prog = prog;
	cli_help_text = help ? help : "";
	signal(SIGPIPE, SIG_IGN);
}

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_DATA);
}

/* The first paragraph of the help text is the usage line(s). */
void cli_usage_error(const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vmsg(fmt, ap);
		va_end(ap);
	}
	const char *end = strstr(cli_help_text, "\n\n");
	int n = end ? (int)(end - cli_help_text) : (int)strlen(cli_help_text);
	fprintf(stderr, "%.*s\nTry '%s --help' for more information.\n", n, cli_help_text, cli_prog);
	exit(EXIT_USAGE);
}

void cli_help(void)
{
	fputs(cli_help_text, stdout);
	if (fflush(stdout) || ferror(stdout))
		exit(errno == EPIPE ? EXIT_OK : EXIT_DATA);
	exit(EXIT_OK);
}

void cli_version(void)
{
	printf("%s (gcse) %s\n%s\n", cli_prog, GCSE_VERSION, gemm_describe());
	exit(fflush(stdout) ? EXIT_DATA : EXIT_OK);
}

long cli_long(const char *opt, const char *arg, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (end == arg || *end || errno)
		cli_usage_error("%s: '%s' is not an integer", opt, arg);
	if (v < lo || v > hi)
		cli_usage_error("%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
	return v;
}

double cli_double(const char *opt, const char *arg, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v))
		cli_usage_error("%s: '%s' is not a number", opt, arg);
	if (v < lo || v > hi)
		cli_usage_error("%s: %g is out of range [%g, %g]", opt, v, lo, hi);
	return v;
}

static int cli_quiet;            /* -q seen by cli_getopt: no notice */

int cli_cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	return c > 0 ? (int)c : 1;
}

int cli_threads_for(int n)
{
	int cores = cli_cores();
	if (n <= 0)
		return cores;
	if (n > cores) {
		/* More threads than cores make every thread of a GEMM spin in the
		 * others' barriers: runs 50-300x slower, not faster (issue 15). */
		if (!cli_quiet)
			cli_msg("--threads %d: %d core%s available to this process; using %d",
			        n, cores, cores == 1 ? "" : "s", cores);
		return cores;
	}
	return n;
}

void cli_set_threads(int n)
{
	n = cli_threads_for(n);
	omp_set_num_threads(n);
	gemm_set_threads(n);
}

static int threads_arg(const char *arg)
{
	return (int)cli_long("--threads", arg, 0, 1024);
}

int cli_threads(const char *arg)
{
	int n = arg ? threads_arg(arg) : 0;
	cli_set_threads(n);
	return n;
}

void cli_opts_init(cli_opts *o)
{
	memset(o, 0, sizeof *o);
	o->threads = -1;
}

int cli_getopt(cli_opts *o, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_THREADS: o->threads = threads_arg(arg); return 1;
	case CLI_OPT_SKIP_BAD: o->skip_bad = 1; return 1;
	case 'q': o->quiet = 1, o->progress = -1, cli_quiet = 1, gemm_set_notice(0); return 1;
	case CLI_OPT_PROGRESS: o->progress = 1; return 1;
	case 'h': cli_help();
	case 'V': cli_version();
	default: return 0;
	}
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		cli_die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		cli_die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cli_die("out of memory (%zu bytes)", n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(progress *p, int mode, const char *unit)
{
	p->enabled = mode > 0 || (mode == 0 && isatty(STDERR_FILENO));
	p->n = 0;
	p->t0 = p->last = now_seconds();
	p->unit = unit ? unit : "records";
}

static void progress_draw(progress *p, double t)
{
	double el = t - p->t0;
	fprintf(stderr, "\r%s: %ld %s, %.0f/s, %.1fs ", cli_prog, p->n, p->unit,
	        el > 0 ? (double)p->n / el : 0.0, el);
	fflush(stderr);
}

void progress_tick(progress *p, long n_done)
{
	p->n = n_done;
	if (!p->enabled)
		return;
	double t = now_seconds();
	if (t - p->last < 0.25)
		return;
	p->last = t;
	progress_draw(p, t);
}

void progress_done(progress *p)
{
	if (!p->enabled)
		return;
	progress_draw(p, now_seconds());
	fputc('\n', stderr);
}
