/* numcmp — compare a golden file with a program's output, numbers within a
 * tolerance, everything else byte for byte.
 *
 *   numcmp [--rel R] [--abs A] EXPECTED GOT
 *
 * Both files are read line by line. Outside JSON strings, a number (JSON
 * syntax: -?digits[.digits][e[+-]digits]) in EXPECTED must face a number in
 * GOT with |e - g| <= A or |e - g| <= R * max(|e|, |g|) (defaults: R 1e-6,
 * A 1e-9); every other byte, string contents included, must be equal, and
 * so must the number of lines. The last bits of a float move between CPUs
 * and GEMM kernels; nothing else may. Exit status: 0 equal, 1 different (the
 * first differing line of each file is printed on stderr), 2 usage or I/O
 * error. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double rel_tol = 1e-6, abs_tol = 1e-9;

/* Length of the JSON number at s (0 when none starts there). */
static size_t number_len(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;
		if (*q == '+' || *q == '-')
			q++;
		if (*q >= '0' && *q <= '9') {
			while (*q >= '0' && *q <= '9')
				q++;
			p = q;
		}
	}
	return (size_t)(p - s);
}

static int close_enough(double e, double g)
{
	if (e == g)
		return 1;
	if (isnan(e) || isnan(g))
		return 0;
	double d = fabs(e - g);
	return d <= abs_tol || d <= rel_tol * fmax(fabs(e), fabs(g));
}

/* 1 when the two lines are equal under the rules above. A number must not
 * continue a word (STS12 is text): it starts after a byte that is not a
 * letter, digit, '_' or '.'. */
static int lines_equal(const char *a, const char *b)
{
	int in_str = 0, esc = 0;
	char prev = 0;
	while (*a && *b) {
		int word = (prev >= 'a' && prev <= 'z') || (prev >= 'A' && prev <= 'Z') ||
			   (prev >= '0' && prev <= '9') || prev == '_' || prev == '.';
		size_t na = in_str || word ? 0 : number_len(a);
		size_t nb = in_str || word ? 0 : number_len(b);
		if (na && nb) {
			char *ea, *eb;
			double x = strtod(a, &ea), y = strtod(b, &eb);
			if (!close_enough(x, y))
				return 0;
			a += na, b += nb;
			prev = '0';
			continue;
		}
		if (*a != *b)
			return 0;
		if (in_str) {
			if (esc)
				esc = 0;
			else if (*a == '\\')
				esc = 1;
			else if (*a == '"')
				in_str = 0;
		} else if (*a == '"') {
			in_str = 1;
		}
		prev = *a;
		a++, b++;
	}
	return *a == *b;
}

static double parse_tol(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0)) {
		fprintf(stderr, "numcmp: bad tolerance '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
		if (!strcmp(argv[i], "--rel"))
			rel_tol = parse_tol(argv[i + 1]);
		else if (!strcmp(argv[i], "--abs"))
			abs_tol = parse_tol(argv[i + 1]);
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: numcmp [--rel R] [--abs A] EXPECTED GOT\n");
		return 2;
	}
	FILE *fe = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
	FILE *fg = strcmp(argv[i + 1], "-") ? fopen(argv[i + 1], "r") : stdin;
	if (!fe || !fg) {
		fprintf(stderr, "numcmp: %s: %s\n", !fe ? argv[i] : argv[i + 1], strerror(errno));
		return 2;
	}
	char *le = NULL, *lg = NULL;
	size_t ce = 0, cg = 0;
	long line = 0;
	int rc = 0;
	for (;;) {
		ssize_t re = getline(&le, &ce, fe), rg = getline(&lg, &cg, fg);
		line++;
		if (re < 0 && rg < 0)
			break;
		if (re < 0 || rg < 0 || !lines_equal(le, lg)) {
			fprintf(stderr, "numcmp: line %ld differs\n< %s> %s", line,
				re < 0 ? "(end of file)\n" : le, rg < 0 ? "(end of file)\n" : lg);
			rc = 1;
			break;
		}
	}
	if (ferror(fe) || ferror(fg)) {
		fprintf(stderr, "numcmp: read error\n");
		rc = 2;
	}
	free(le);
	free(lg);
	return rc;
}
