/* t.h — the unit-test harness: one binary per lib/ concept, one line per test.
 *
 *   static void test_something(void) { T_ASSERT(x == 1); T_NEAR(a, b, 1e-6); }
 *   int main(void) { T_RUN(test_something); return t_done(); }
 *
 * Output lines, read by tests/run:  "ok - NAME", "not ok - NAME", "skip - NAME # why".
 * Failure details go to stdout as "#   file:line: message" before the "not ok" line. */
#ifndef GCSE_T_H
#define GCSE_T_H
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_nfail, t_cur_failed;
static const char *t_skip_why;

__attribute__((unused)) static void t_note(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t_cur_failed = 1;
}

#define T_FAIL(...) do { t_note(__FILE__, __LINE__, __VA_ARGS__); return; } while (0)
#define T_ASSERT(c) do { if (!(c)) T_FAIL("assertion failed: %s", #c); } while (0)
#define T_EQ_INT(a, b) do { long long t_a = (a), t_b = (b); \
	if (t_a != t_b) T_FAIL("%s == %lld, expected %s == %lld", #a, t_a, #b, t_b); } while (0)
#define T_EQ_STR(a, b) do { const char *t_a = (a), *t_b = (b); \
	if (!t_a || !t_b || strcmp(t_a, t_b)) \
		T_FAIL("%s == \"%s\", expected \"%s\"", #a, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); } while (0)
#define T_NEAR(a, b, tol) do { double t_a = (a), t_b = (b); \
	if (!(fabs(t_a - t_b) <= (tol))) T_FAIL("%s == %.9g, expected %.9g (tol %g)", #a, t_a, t_b, (double)(tol)); } while (0)
/* Skip the current test with a reason (e.g. ../shared missing); call then return. */
#define T_SKIP(why) do { t_skip_why = (why); return; } while (0)

static void t_run(const char *name, void (*fn)(void))
{
	t_cur_failed = 0;
	t_skip_why = NULL;
	fn();
	if (t_cur_failed) {
		printf("not ok - %s\n", name);
		t_nfail++;
	} else if (t_skip_why)
		printf("skip - %s # %s\n", name, t_skip_why);
	else
		printf("ok - %s\n", name);
	fflush(stdout);
}
#define T_RUN(fn) t_run(#fn, fn)
static int t_done(void) { return t_nfail ? 1 : 0; }

/* Path of the shared data folder (../shared/data from the repo root, or $GCSE_SHARED). */
static inline const char *t_shared(void)
{
	const char *s = getenv("GCSE_SHARED");
	return s && *s ? s : "../shared/data";
}
#endif
