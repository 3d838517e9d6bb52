/* ndjson.c — NDJSON reader (files, stdin, gzip; per-line errors) and compact
 * writer with shortest round-trip numbers. See ndjson.h. */
#include "base/ndjson.h"
#include "base/cli.h"

#include <errno.h>
#include <fcntl.h>
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
	r->gz = gzdopen(fd, "rb");
	if (!r->gz)
		cli_die("%s: cannot read", r->name);
	gzbuffer(r->gz, 1 << 17);
	r->lineno = 0;
	r->bpos = r->blen = 0;
	r->eof = 0;
	return 1;
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
				        e == Z_ERRNO ? strerror(errno) : m);
			}
			if (n == 0) {
				/* A gzip stream cut short reads as a clean EOF unless we ask. */
				int e;
				const char *m = gzerror(r->gz, &e);
				if (e != Z_OK && e != Z_STREAM_END)
					cli_die("%s:%ld: read error: %s", r->name, r->lineno + 1, m);
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
		*out = v;
		return 1;
	}
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
	free(r);
}

const char *ndjson_kind_name(jv v)
{
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

int ndjson_get_string(ndjson_reader *r, jv rec, const char *key, jv *out)
{
	jv v = get_field(rec, key);
	if (!jv_is_valid(v)) {
		jv_free(v);
		ndjson_bad(r, "field \"%s\": missing", key);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_STRING) {
		ndjson_bad(r, "field \"%s\": expected string, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return 0;
	}
	*out = v;
	return 1;
}

int ndjson_get_number(ndjson_reader *r, jv rec, const char *key, double *out)
{
	jv v = get_field(rec, key);
	if (!jv_is_valid(v)) {
		jv_free(v);
		ndjson_bad(r, "field \"%s\": missing", key);
		return 0;
	}
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		ndjson_bad(r, "field \"%s\": expected number, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return 0;
	}
	double d = jv_number_value(v);
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
	if (k != JV_KIND_STRING) {
		ndjson_bad(r, "field \"%s\": expected string, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return -1;
	}
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
	if (k != JV_KIND_NUMBER || !isfinite(jv_number_value(v))) {
		ndjson_bad(r, "field \"%s\": expected a finite number, got %s", key, ndjson_kind_name(v));
		jv_free(v);
		return -1;
	}
	*out = jv_number_value(v);
	jv_free(v);
	return 1;
}

int ndjson_get_vector(ndjson_reader *r, jv rec, const char *key, float **out, int *dim)
{
	jv v = get_field(rec, key);
	if (!jv_is_valid(v)) {
		jv_free(v);
		ndjson_bad(r, "field \"%s\": missing", key);
		return 0;
	}
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
		if (jv_get_kind(e) != JV_KIND_NUMBER || !isfinite(jv_number_value(e))) {
			ndjson_bad(r, "field \"%s\": element %d: expected a finite number, got %s",
			           key, i, ndjson_kind_name(e));
			jv_free(e);
			jv_free(v);
			free(x);
			return 0;
		}
		x[i] = (float)jv_number_value(e);
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
	int lo = 1, hi = 9;
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
