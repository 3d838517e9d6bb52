/* ndjson.c — NDJSON reader (files, stdin, gzip; per-line errors) and compact
 * writer with shortest round-trip numbers. See ndjson.h. */
#include "base/ndjson.h"
#include "base/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>
#include <zlib.h>

struct ndjson_reader {
	char **files;
	int nfiles, cur, skip_bad;
	gzFile gz;
	const char *name;        /* current file name for messages */
	long lineno, skipped;
	char *buf;               /* read buffer */
	size_t bpos, blen, bcap;
	int eof;
	char *line;              /* current line */
	size_t llen, lcap;
	size_t *lit;             /* kept number literals of the line: start, length */
	size_t nlit, litcap;
	strbuf rw;               /* the line with those literals rewritten */
};

static char *stdin_name = "-";

ndjson_reader *ndjson_open(char **files, int nfiles, int skip_bad)
{
	ndjson_reader *r = xcalloc(1, sizeof *r);
	if (nfiles <= 0) {
		r->files = &stdin_name;
		r->nfiles = 1;
	} else {
		r->files = files;
		r->nfiles = nfiles;
	}
	r->cur = -1;
	r->skip_bad = skip_bad;
	r->bcap = 1 << 17;
	r->buf = xmalloc(r->bcap);
	r->eof = 1;
	return r;
}

/* Open the next input file; 0 when none is left. */
static int next_file(ndjson_reader *r)
{
	if (r->gz) {
		gzclose(r->gz);
		r->gz = NULL;
	}
	if (++r->cur >= r->nfiles)
		return 0;
	const char *f = r->files[r->cur];
	int fd;
	if (!strcmp(f, "-")) {
		r->name = "<stdin>";
		fd = dup(STDIN_FILENO);
	} else {
		r->name = f;
		fd = open(f, O_RDONLY);
	}
	if (fd < 0)
		cli_die("%s: %s", r->name, strerror(errno));
	/* As cat: reading the file standard output writes to would read the
	 * program's own records (forever, with >>) or nothing (>). */
	struct stat in, out;
	if (fstat(fd, &in) == 0 && S_ISREG(in.st_mode) && fstat(STDOUT_FILENO, &out) == 0 &&
	    in.st_dev == out.st_dev && in.st_ino == out.st_ino)
		cli_die("%s: input file is the output file", r->name);
	r->gz = gzdopen(fd, "rb");
	if (!r->gz)
		cli_die("%s: cannot read", r->name);
	gzbuffer(r->gz, 1 << 17);
	r->lineno = 0;
	r->bpos = r->blen = 0;
	r->eof = 0;
	return 1;
}

/* zlib's message for the stream (Z_ERRNO: errno's), without the "<fd:N>: "
 * that gzdopen puts first. */
static const char *gz_message(int e, const char *m)
{
	if (e == Z_ERRNO)
		return strerror(errno);
	if (!strncmp(m, "<fd:", 4)) {
		const char *p = strstr(m, ">: ");
		if (p)
			m = p + 3;
	}
	return m;
}

/* Read the next raw line of the current file into r->line (without '\n').
 * Returns 0 at the end of the file. */
static int read_line(ndjson_reader *r)
{
	r->llen = 0;
	int got = 0;
	for (;;) {
		if (r->bpos == r->blen) {
			if (r->eof)
				return got;
			int n = gzread(r->gz, r->buf, (unsigned)r->bcap);
			if (n < 0) {
				int e;
				const char *m = gzerror(r->gz, &e);
				cli_die("%s:%ld: read error: %s", r->name, r->lineno + 1,
				        gz_message(e, m));
			}
			if (n == 0) {
				/* A gzip stream cut short reads as a clean EOF unless we ask. */
				int e;
				const char *m = gzerror(r->gz, &e);
				if (e != Z_OK && e != Z_STREAM_END)
					cli_die("%s:%ld: read error: %s", r->name, r->lineno + 1,
					        gz_message(e, m));
				r->eof = 1;
				return got;
			}
			r->bpos = 0;
			r->blen = (size_t)n;
		}
		got = 1;
		char *s = r->buf + r->bpos;
		size_t avail = r->blen - r->bpos;
		char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;
		if (r->llen + take + 1 > r->lcap) {
			r->lcap = (r->llen + take + 1) * 2;
			r->line = xrealloc(r->line, r->lcap);
		}
		memcpy(r->line + r->llen, s, take);
		r->llen += take;
		r->line[r->llen] = 0;
		r->bpos += take + (nl ? 1 : 0);
		if (nl)
			return 1;
	}
}

void ndjson_bad(ndjson_reader *r, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "%s: %s:%ld: ", cli_prog, r->name ? r->name : "<stdin>", r->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!r->skip_bad)
		exit(EXIT_DATA);
	r->skipped++;
}

/* Byte offset of the first invalid UTF-8 sequence, or -1. */
static long utf8_invalid_at(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                                      (utf8proc_ssize_t)(n - i), &c);
		if (k <= 0)
			return (long)i;
		i += (size_t)k;
	}
	return -1;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* ---- number literals kept as written (issue 15, D7) ----
 * jq 1.6 holds every number as a double, so a literal the writer would not
 * print back the same way (an integer beyond 2^53, more than 17 digits,
 * 1e400, or only spelt otherwise: 1.0, 1E+2, -0.0) would come out changed.
 * Such a literal is parsed instead as the one-field object
 * {"\u0000number": "LITERAL"}: the writer prints LITERAL as it came, the
 * getters (ndjson_number) read it as its double, and it travels with the
 * value wherever a program copies it. The key cannot come from the input: a
 * record that spells it is refused. */
#define NUM_KEY "\0number"
#define NUM_KEY_LEN 7
#define NUM_OPEN "{\"\\u0000number\":\""

/* RFC 8259's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (jq 1.6 also takes .5, +1, 01, nan: those are not JSON and are written
 * back as JSON numbers, not kept). */
static int json_number_grammar(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Whether fmt_double(strtod(s)) is s itself (s: a JSON number). Most
 * literals are decided without converting: up to 15 significant digits
 * always read back, so fmt_double prints those digits, in "%.0f" for an
 * integer below 1e15 and in %g's fixed notation for a fraction whose first
 * digit is at 10^X with -4 <= X < digits. */
int ndjson_number_canonical(const char *s, size_t n)
{
	size_t i = s[0] == '-', ip = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t nint = i - ip;    /* integer digits: "0" or no leading zero */
	if (i == n) {            /* an integer */
		if (nint <= 15)
			return 1;
	} else if (s[i] == '.' && s[n - 1] != '0') {
		size_t fp = i + 1, j = fp;
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j == n) {    /* no exponent, no trailing zero */
			size_t sig, X;
			int neg;
			if (nint == 1 && s[ip] == '0') {   /* 0.000ddd */
				size_t z = fp;
				while (s[z] == '0')
					z++;
				sig = n - z;
				X = z - fp + 1;     /* first digit at 10^-X */
				neg = 1;
			} else {
				sig = nint + (n - fp);
				X = nint - 1;
				neg = 0;
			}
			if (sig <= 15 && (neg ? X <= 4 : X < sig))
				return 1;
		}
	}
	char tmp[64], *buf = n < sizeof tmp ? tmp : xmalloc(n + 1), out[32];
	memcpy(buf, s, n);
	buf[n] = 0;
	int k = fmt_double(out, strtod(buf, NULL));
	if (buf != tmp)
		free(buf);
	return (size_t)k == n && !memcmp(out, s, n);
}

/* A key that decodes to NUM_KEY (raw is the string token with its quotes). */
static int is_num_key(const char *raw, size_t n)
{
	if (n < 3 || (raw[1] != 0 && strncmp(raw + 1, "\\u0000", 6)))
		return 0;    /* the key starts with no NUL */
	jv k = jv_parse_sized(raw, (int)n);
	int hit = jv_get_kind(k) == JV_KIND_STRING && jv_string_length_bytes(jv_copy(k)) == NUM_KEY_LEN &&
	          !memcmp(jv_string_value(k), NUM_KEY, NUM_KEY_LEN);
	jv_free(k);
	return hit;
}

/* Find the number literals of a line jq has parsed that fmt_double would not
 * write back as they are, into r->lit. -1 when a key is NUM_KEY. */
static int scan_literals(ndjson_reader *r, const char *s, size_t n)
{
	r->nlit = 0;
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			size_t b = i++;
			while (i < n && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			i++;
			if (s[b + 1] == 0 || s[b + 1] == '\\') {   /* a key with a NUL first? */
				size_t j = i;
				while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
					j++;
				if (j < n && s[j] == ':' && is_num_key(s + b, i - b))
					return -1;
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{' || c == '}' ||
		    c == '[' || c == ']' || c == ',' || c == ':') {
			i++;
			continue;
		}
		/* a literal: as jq's scanner, up to the next delimiter */
		size_t b = i;
		while (i < n && s[i] && !strchr(" \t\r\n{}[],:\"", s[i]))
			i++;
		if (i == b) {    /* a NUL byte: not in a line jq parsed */
			i++;
			continue;
		}
		if ((s[b] == '-' || (s[b] >= '0' && s[b] <= '9')) && json_number_grammar(s + b, i - b) &&
		    !ndjson_number_canonical(s + b, i - b)) {
			if (r->nlit + 2 > r->litcap) {
				r->litcap = r->litcap ? 2 * r->litcap : 16;
				r->lit = xrealloc(r->lit, r->litcap * sizeof *r->lit);
			}
			r->lit[r->nlit++] = b;
			r->lit[r->nlit++] = i - b;
		}
	}
	r->nlit /= 2;
	return 0;
}

/* The line again, with each kept literal as {"\u0000number":"LITERAL"}. */
static jv parse_keeping_literals(ndjson_reader *r)
{
	strbuf *b = &r->rw;
	b->len = 0;
	size_t at = 0;
	for (size_t k = 0; k < r->nlit; k++) {
		size_t st = r->lit[2 * k], len = r->lit[2 * k + 1];
		sb_puts(b, r->line + at, st - at);
		sb_puts(b, NUM_OPEN, sizeof NUM_OPEN - 1);
		sb_puts(b, r->line + st, len);
		sb_puts(b, "\"}", 2);
		at = st + len;
	}
	sb_puts(b, r->line + at, r->llen - at);
	if (b->len > (size_t)0x7fffffff)
		return jv_invalid_with_msg(jv_string("line too long"));
	return jv_parse_sized(b->s, (int)b->len);
}

/* A kept literal: its text and length. */
static const char *kept_literal(jv v, jv *lit)
{
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		return NULL;
	int it = jv_object_iter(v);
	if (!jv_object_iter_valid(v, it))
		return NULL;
	jv k = jv_object_iter_key(v, it);
	int hit = jv_string_length_bytes(jv_copy(k)) == NUM_KEY_LEN &&
	          !memcmp(jv_string_value(k), NUM_KEY, NUM_KEY_LEN);
	jv_free(k);
	if (!hit)
		return NULL;
	*lit = jv_object_iter_value(v, it);
	return jv_string_value(*lit);
}

int ndjson_number(jv v, double *out)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		return 1;
	}
	jv lit;
	const char *s = kept_literal(v, &lit);
	if (!s)
		return 0;
	*out = strtod(s, NULL);
	jv_free(lit);
	return 1;
}

int ndjson_next(ndjson_reader *r, jv *out)
{
	for (;;) {
		if (r->eof && r->bpos == r->blen && !next_file(r))
			return 0;
		if (!read_line(r))
			continue;
		r->lineno++;
		if (is_blank(r->line, r->llen))
			continue;
		long bad = utf8_invalid_at(r->line, r->llen);
		if (bad >= 0) {
			ndjson_bad(r, "invalid UTF-8 at byte %ld", bad + 1);
			continue;
		}
		if (r->llen > (size_t)0x7fffffff) {
			ndjson_bad(r, "line too long (%zu bytes)", r->llen);
			continue;
		}
		jv v = jv_parse_sized(r->line, (int)r->llen);
		if (!jv_is_valid(v)) {
			jv m = jv_invalid_get_msg(v);
			char msg[200] = "unparseable";
			if (jv_get_kind(m) == JV_KIND_STRING) {
				/* jq 1.6 appends the whole input: "(while parsing '...')". */
				const char *s = jv_string_value(m);
				const char *cut = strstr(s, " (while parsing");
				size_t n = cut ? (size_t)(cut - s) : strlen(s);
				if (n >= sizeof msg)
					n = sizeof msg - 1;
				memcpy(msg, s, n);
				msg[n] = 0;
			}
			jv_free(m);
			ndjson_bad(r, "invalid JSON: %s", msg);
			continue;
		}
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			ndjson_bad(r, "expected a JSON object, got %s", ndjson_kind_name(v));
			jv_free(v);
			continue;
		}
		int nl = scan_literals(r, r->line, r->llen);
		if (nl < 0) {
			ndjson_bad(r, "field \"\\u0000number\": a name reserved for numbers kept as written");
			jv_free(v);
			continue;
		}
		if (r->nlit) {
			jv_free(v);
			v = parse_keeping_literals(r);
			if (!jv_is_valid(v)) {   /* not expected: the line parsed as it was */
				jv_free(v);
				ndjson_bad(r, "invalid JSON: numbers could not be kept as written");
				continue;
			}
		}
		*out = v;
		return 1;
	}
}

const char *ndjson_same_file(char **files, int nfiles, const char *path)
{
	struct stat o, in;
	if (stat(path, &o) != 0)
		return NULL;     /* not there yet: no input can be it */
	if (nfiles <= 0)
		return fstat(STDIN_FILENO, &in) == 0 && in.st_dev == o.st_dev && in.st_ino == o.st_ino
		       ? "standard input" : NULL;
	for (int i = 0; i < nfiles; i++) {
		int same = !strcmp(files[i], "-")
		           ? fstat(STDIN_FILENO, &in) == 0
		           : stat(files[i], &in) == 0;
		if (same && in.st_dev == o.st_dev && in.st_ino == o.st_ino)
			return strcmp(files[i], "-") ? files[i] : "standard input";
	}
	if (fstat(STDOUT_FILENO, &in) == 0 && S_ISREG(in.st_mode) && in.st_dev == o.st_dev &&
	    in.st_ino == o.st_ino)
		return "standard output";
	return NULL;
}

const char *ndjson_filename(const ndjson_reader *r) { return r->name ? r->name : "<stdin>"; }
long ndjson_lineno(const ndjson_reader *r) { return r->lineno; }
long ndjson_skipped(const ndjson_reader *r) { return r->skipped; }

void ndjson_close(ndjson_reader *r)
{
	if (!r)
		return;
	if (r->skipped)
		cli_msg("skipped %ld bad line%s", r->skipped, r->skipped == 1 ? "" : "s");
	if (r->gz)
		gzclose(r->gz);
	free(r->buf);
	free(r->line);
	free(r->lit);
	free(r->rw.s);
	free(r);
}

const char *ndjson_kind_name(jv v)
{
	jv lit;
	if (kept_literal(v, &lit)) {
		jv_free(lit);
		return "number";
	}
	switch (jv_get_kind(v)) {
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: return "boolean";
	default: return jv_kind_name(jv_get_kind(v));
	}
}

static jv get_field(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

long ndjson_nul_at(jv s)
{
	const char *p = jv_string_value(s);
	const char *z = memchr(p, 0, (size_t)jv_string_length_bytes(jv_copy(s)));
	return z ? (long)(z - p) : -1;
}

/* A text a program reads is a C string from here on: one holding U+0000
 * would be cut there, so the record is refused instead (issue 15, D8). */
static int nul_free(ndjson_reader *r, const char *key, jv v)
{
	long at = ndjson_nul_at(v);
	if (at < 0)
		return 1;
	ndjson_bad(r, "field \"%s\": \\u0000 (NUL) at byte %ld: not allowed in a text", key, at + 1);
	return 0;
}

/* rec's key into *v: 1, or 0 (reported as missing) when rec has none. */
static int need_field(ndjson_reader *r, jv rec, const char *key, jv *v)
{
	*v = get_field(rec, key);
	if (jv_is_valid(*v))
		return 1;
	jv_free(*v);
	ndjson_bad(r, "field \"%s\": missing", key);
	return 0;
}

/* 1 when v is a string without NUL; else 0, reported, and v freed. */
static int string_ok(ndjson_reader *r, const char *key, jv v)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		ndjson_bad(r, "field \"%s\": expected string, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return 0;
	}
	if (!nul_free(r, key, v)) {
		jv_free(v);
		return 0;
	}
	return 1;
}

int ndjson_get_string(ndjson_reader *r, jv rec, const char *key, jv *out)
{
	jv v;
	if (!need_field(r, rec, key, &v) || !string_ok(r, key, v))
		return 0;
	*out = v;
	return 1;
}

int ndjson_get_number(ndjson_reader *r, jv rec, const char *key, double *out)
{
	jv v;
	if (!need_field(r, rec, key, &v))
		return 0;
	double d;
	if (!ndjson_number(v, &d)) {
		ndjson_bad(r, "field \"%s\": expected number, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return 0;
	}
	jv_free(v);
	if (!isfinite(d)) {
		ndjson_bad(r, "field \"%s\": not a finite number", key);
		return 0;
	}
	*out = d;
	return 1;
}

int ndjson_opt_string(ndjson_reader *r, jv rec, const char *key, jv *out)
{
	jv v = get_field(rec, key);
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	if (!string_ok(r, key, v))
		return -1;
	*out = v;
	return 1;
}

int ndjson_opt_number(ndjson_reader *r, jv rec, const char *key, double *out)
{
	jv v = get_field(rec, key);
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	double d;
	if (!ndjson_number(v, &d) || !isfinite(d)) {
		ndjson_bad(r, "field \"%s\": expected a finite number, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return -1;
	}
	*out = d;
	jv_free(v);
	return 1;
}

int ndjson_get_vector(ndjson_reader *r, jv rec, const char *key, float **out, int *dim)
{
	jv v;
	if (!need_field(r, rec, key, &v))
		return 0;
	if (jv_get_kind(v) != JV_KIND_ARRAY) {
		ndjson_bad(r, "field \"%s\": expected array of numbers, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return 0;
	}
	int n = jv_array_length(jv_copy(v));
	if (*dim > 0 && n != *dim) {
		ndjson_bad(r, "field \"%s\": expected %d numbers, got %d", key, *dim, n);
		jv_free(v);
		return 0;
	}
	if (n == 0) {
		ndjson_bad(r, "field \"%s\": empty vector", key);
		jv_free(v);
		return 0;
	}
	float *x = xmalloc((size_t)n * sizeof *x);
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(v), i);
		double d;
		if (!ndjson_number(e, &d) || !isfinite(d)) {
			ndjson_bad(r, "field \"%s\": element %d: expected a finite number, got %s",
			           key, i, ndjson_kind_name(e));
			jv_free(e);
			jv_free(v);
			free(x);
			return 0;
		}
		if (fabs(d) > FLT_MAX) {   /* would be an infinity as a float */
			char num[32];
			fmt_double(num, d);
			ndjson_bad(r, "field \"%s\": element %d: %s is outside the range of a float "
			           "(vectors are float32)", key, i, num);
			jv_free(e);
			jv_free(v);
			free(x);
			return 0;
		}
		x[i] = (float)d;
		jv_free(e);
	}
	jv_free(v);
	*out = x;
	*dim = n;
	return 1;
}

/* ---------------------------------------------------------------- output */

void sb_puts(strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2 + 64;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sb_putc(strbuf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap * 2 + 64;
		b->s = xrealloc(b->s, b->cap);
	}
	b->s[b->len++] = c;
	b->s[b->len] = 0;
}

/* The precision below is at most 17, so "%.*g" needs at most 24 bytes; GCC
 * cannot see the bound and warns about truncation into 32. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* Shortest %.Ng that reads back to the same value: binary search on N, since
 * a correctly rounded N-digit text that round-trips also does with N+1. */
int fmt_double(char *buf, double x)
{
	if (!isfinite(x))
		return sprintf(buf, "null");
	if (x == 0)
		return sprintf(buf, signbit(x) ? "-0" : "0");
	if (x == trunc(x) && fabs(x) < 1e15)
		return sprintf(buf, "%.0f", x);
	int lo = 1, hi = 17, n = 0;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(buf, 32, "%.*g", mid, x);
		if (strtod(buf, NULL) == x)
			hi = mid;
		else
			lo = mid + 1;
	}
	n = snprintf(buf, 32, "%.*g", lo, x);
	return n;
}

int fmt_float(char *buf, float x)
{
	if (!isfinite(x))
		return sprintf(buf, "null");
	if (x == 0)
		return sprintf(buf, signbit(x) ? "-0" : "0");
	/* The fewest digits that read back as x. Most floats need 8 or 9, so
	 * those are tried first (9 always suffices); a binary search below 8
	 * only for the short ones (0.5, 0.1). Round-tripping is monotone in
	 * the number of digits, so this is the binary search's answer. */
	int n = snprintf(buf, 32, "%.8g", (double)x);
	if (strtof(buf, NULL) != x)
		return snprintf(buf, 32, "%.9g", (double)x);
	char b7[32];
	snprintf(b7, sizeof b7, "%.7g", (double)x);
	if (strtof(b7, NULL) != x)
		return n;
	int lo = 1, hi = 7;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(buf, 32, "%.*g", mid, (double)x);
		if (strtof(buf, NULL) == x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return snprintf(buf, 32, "%.*g", lo, (double)x);
}

void sb_json_string(strbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_putc(b, '"');
	size_t run = 0;   /* start of the pending run of plain bytes */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_puts(b, s + run, i - run);
		run = i + 1;
		char e[7] = {'\\', 0};
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\t': e[1] = 't'; break;
		case '\r': e[1] = 'r'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
		}
		sb_puts(b, e, strlen(e));
	}
	sb_puts(b, s + run, n - run);
	sb_putc(b, '"');
}

void sb_json(strbuf *b, jv v)
{
	char num[32];
	switch (jv_get_kind(v)) {
	case JV_KIND_INVALID:
	case JV_KIND_NULL: sb_puts(b, "null", 4); break;
	case JV_KIND_TRUE: sb_puts(b, "true", 4); break;
	case JV_KIND_FALSE: sb_puts(b, "false", 5); break;
	case JV_KIND_NUMBER: {
		int n = fmt_double(num, jv_number_value(v));
		sb_puts(b, num, (size_t)n);
		break;
	}
	case JV_KIND_STRING:
		sb_json_string(b, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY: {
		sb_putc(b, '[');
		int n = jv_array_length(jv_copy(v));
		for (int i = 0; i < n; i++) {
			if (i)
				sb_putc(b, ',');
			jv e = jv_array_get(jv_copy(v), i);
			sb_json(b, e);
			jv_free(e);
		}
		sb_putc(b, ']');
		break;
	}
	case JV_KIND_OBJECT: {
		jv lit;
		const char *t = kept_literal(v, &lit);
		if (t) {   /* a number kept as written */
			sb_puts(b, t, (size_t)jv_string_length_bytes(jv_copy(lit)));
			jv_free(lit);
			break;
		}
		sb_putc(b, '{');
		int first = 1;
		for (int it = jv_object_iter(v); jv_object_iter_valid(v, it);
		     it = jv_object_iter_next(v, it)) {
			jv k = jv_object_iter_key(v, it);
			jv e = jv_object_iter_value(v, it);
			if (!first)
				sb_putc(b, ',');
			first = 0;
			sb_json_string(b, jv_string_value(k), (size_t)jv_string_length_bytes(jv_copy(k)));
			sb_putc(b, ':');
			sb_json(b, e);
			jv_free(k);
			jv_free(e);
		}
		sb_putc(b, '}');
		break;
	}
	}
}

static strbuf outbuf;
static int out_init;

static void write_out(void)
{
	if (!out_init) {
		static char vbuf[1 << 16];
		setvbuf(stdout, vbuf, _IOFBF, sizeof vbuf);
		out_init = 1;
	}
	sb_putc(&outbuf, '\n');
	if (fwrite(outbuf.s, 1, outbuf.len, stdout) != outbuf.len || ferror(stdout)) {
		if (errno == EPIPE)
			exit(EXIT_OK);
		cli_die("write error: %s", strerror(errno));
	}
	outbuf.len = 0;
}

void ndjson_write(jv rec)
{
	outbuf.len = 0;
	sb_json(&outbuf, rec);
	jv_free(rec);
	write_out();
}

size_t ndjson_format_floats(char *buf, const float *v, int n)
{
	/* fmt_float writes at most 15 bytes for a float ("-1.17549435e-38"),
	 * so a number and its comma fit in the 17 bytes per number reserved. */
	char num[32];
	size_t len = 0;
	buf[len++] = '[';
	for (int j = 0; j < n; j++) {
		if (j)
			buf[len++] = ',';
		int k = fmt_float(num, v[j]);
		memcpy(buf + len, num, (size_t)k);
		len += (size_t)k;
	}
	buf[len++] = ']';
	return len;
}

void ndjson_write_vector_texts(jv rec, int nvec, const char *const *keys,
                               const char *const *texts, const size_t *lens)
{
	for (int i = 0; i < nvec; i++)
		rec = jv_object_delete(rec, jv_string(keys[i]));
	outbuf.len = 0;
	sb_json(&outbuf, rec);
	jv_free(rec);
	outbuf.len--;                   /* drop the closing brace */
	int empty = outbuf.len == 1;    /* just "{" */
	for (int i = 0; i < nvec; i++) {
		if (!empty || i)
			sb_putc(&outbuf, ',');
		sb_json_string(&outbuf, keys[i], strlen(keys[i]));
		sb_putc(&outbuf, ':');
		sb_puts(&outbuf, texts[i], lens[i]);
	}
	sb_putc(&outbuf, '}');
	write_out();
}

int ndjson_write_flush(jv rec)
{
	outbuf.len = 0;
	sb_json(&outbuf, rec);
	jv_free(rec);
	sb_putc(&outbuf, '\n');
	errno = 0;
	if (fwrite(outbuf.s, 1, outbuf.len, stdout) != outbuf.len || fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			cli_die("write error: %s", strerror(errno));
		/* nothing more can reach the reader: drop what is buffered, so
		 * that no later flush (at exit) tries again */
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			dup2(dn, STDOUT_FILENO);
			close(dn);
		}
		clearerr(stdout);
		outbuf.len = 0;
		return -1;
	}
	outbuf.len = 0;
	return 0;
}

void ndjson_finish(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		if (errno == EPIPE)
			exit(EXIT_OK);
		cli_die("write error: %s", strerror(errno));
	}
}
