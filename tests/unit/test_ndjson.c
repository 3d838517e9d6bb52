/* Unit tests of lib/ndjson: reader edge cases (blank lines, CRLF, long lines,
 * gzip, several files, skip-bad) and float printing round trips. */
#include "base/cli.h"
#include "base/ndjson.h"
#include "t.h"

#include <float.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

static char dir[] = "/tmp/gcse-test-ndjson-XXXXXX";

static const char *write_file(const char *name, const char *data, size_t n, int gz)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ & 3];
	snprintf(p, 256, "%s/%s", dir, name);
	if (gz) {
		gzFile g = gzopen(p, "wb");
		gzwrite(g, data, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(p, "wb");
		fwrite(data, 1, n, f);
		fclose(f);
	}
	return p;
}

static void test_blank_crlf_lines(void)
{
	const char data[] = "\n{\"a\":1}\r\n   \n\t\n{\"a\":2}";   /* no final newline */
	char *f = (char *)write_file("a.ndjson", data, sizeof data - 1, 0);
	ndjson_reader *r = ndjson_open(&f, 1, 0);
	jv v;
	double x;
	T_ASSERT(ndjson_next(r, &v));
	T_EQ_INT(ndjson_lineno(r), 2);
	T_ASSERT(ndjson_get_number(r, v, "a", &x));
	T_NEAR(x, 1, 0);
	jv_free(v);
	T_ASSERT(ndjson_next(r, &v));
	T_EQ_INT(ndjson_lineno(r), 5);
	jv_free(v);
	T_ASSERT(!ndjson_next(r, &v));
	ndjson_close(r);
}

static void test_gzip_and_files(void)
{
	const char a[] = "{\"k\":\"x\"}\n", b[] = "{\"k\":\"y\"}\n{\"k\":\"z\"}\n";
	char *files[2];
	files[0] = (char *)write_file("x.ndjson.gz", a, sizeof a - 1, 1);
	files[1] = (char *)write_file("y.ndjson", b, sizeof b - 1, 0);
	ndjson_reader *r = ndjson_open(files, 2, 0);
	jv v, s;
	const char *want[] = {"x", "y", "z"};
	long lines[] = {1, 1, 2};
	for (int i = 0; i < 3; i++) {
		T_ASSERT(ndjson_next(r, &v));
		T_ASSERT(ndjson_get_string(r, v, "k", &s));
		T_EQ_STR(jv_string_value(s), want[i]);
		T_EQ_INT(ndjson_lineno(r), lines[i]);
		jv_free(s);
		jv_free(v);
	}
	T_ASSERT(strstr(ndjson_filename(r), "y.ndjson") != NULL);
	T_ASSERT(!ndjson_next(r, &v));
	ndjson_close(r);
}

static void test_long_line(void)
{
	size_t n = 12u << 20;   /* 12 MB */
	char *data = malloc(n + 64);
	size_t k = (size_t)sprintf(data, "{\"t\":\"");
	memset(data + k, 'q', n);
	k += n;
	k += (size_t)sprintf(data + k, "\"}\n{\"t\":\"end\"}\n");
	char *f = (char *)write_file("long.ndjson.gz", data, k, 1);
	free(data);
	ndjson_reader *r = ndjson_open(&f, 1, 0);
	jv v, s;
	T_ASSERT(ndjson_next(r, &v));
	T_ASSERT(ndjson_get_string(r, v, "t", &s));
	T_EQ_INT(jv_string_length_bytes(jv_copy(s)), (long long)n);
	jv_free(s);
	jv_free(v);
	T_ASSERT(ndjson_next(r, &v));
	T_EQ_INT(ndjson_lineno(r), 2);
	jv_free(v);
	ndjson_close(r);
}

static void test_skip_bad(void)
{
	const char data[] = "{\"a\":1}\n{bad\n[1]\n\"s\"\n{\"a\":\"x\"}\n{\"a\":\xff}\n{\"a\":3}\n";
	char *f = (char *)write_file("bad.ndjson", data, sizeof data - 1, 0);
	ndjson_reader *r = ndjson_open(&f, 1, 1);
	jv v;
	double x, sum = 0;
	int n = 0;
	while (ndjson_next(r, &v)) {
		if (ndjson_get_number(r, v, "a", &x)) {
			sum += x;
			n++;
		}
		jv_free(v);
	}
	T_EQ_INT(n, 2);
	T_NEAR(sum, 4, 0);
	T_EQ_INT(ndjson_skipped(r), 5);
	ndjson_close(r);
}

static void test_vector_getter(void)
{
	char *f = (char *)write_file("v.ndjson", "{\"v\":[1,2.5,-3]}\n", 17, 0);
	ndjson_reader *r = ndjson_open(&f, 1, 1);
	jv v;
	float *x;
	int dim = 0;
	T_ASSERT(ndjson_next(r, &v));
	T_ASSERT(ndjson_get_vector(r, v, "v", &x, &dim));
	T_EQ_INT(dim, 3);
	T_NEAR(x[1], 2.5, 0);
	free(x);
	dim = 4;
	T_ASSERT(!ndjson_get_vector(r, v, "v", &x, &dim));
	T_EQ_INT(ndjson_skipped(r), 1);
	jv_free(v);
	ndjson_close(r);
}

static void test_fmt_double_roundtrip(void)
{
	char buf[32];
	fmt_double(buf, 0.1);
	T_EQ_STR(buf, "0.1");
	fmt_double(buf, 4.75);
	T_EQ_STR(buf, "4.75");
	fmt_double(buf, 3);
	T_EQ_STR(buf, "3");
	fmt_double(buf, -0.0);
	T_EQ_STR(buf, "-0");
	fmt_double(buf, 1e300);
	T_EQ_STR(buf, "1e+300");
	fmt_double(buf, NAN);
	T_EQ_STR(buf, "null");
	fmt_double(buf, 1.0 / 3);
	T_EQ_STR(buf, "0.3333333333333333");
	fmt_double(buf, 5e-324);
	T_EQ_STR(buf, "5e-324");
	/* Random doubles (all bit patterns) read back exactly, and no shorter
	 * precision would. */
	uint64_t s = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double x;
		memcpy(&x, &s, sizeof x);
		if (!isfinite(x))
			continue;
		int n = fmt_double(buf, x);
		T_ASSERT(n > 0 && n < 32);
		if (strtod(buf, NULL) != x)
			T_FAIL("%.17g printed as %s", x, buf);
	}
}

static void test_fmt_float_roundtrip(void)
{
	char buf[32];
	fmt_float(buf, 0.1f);
	T_EQ_STR(buf, "0.1");
	fmt_float(buf, 1.0f / 3);
	T_EQ_STR(buf, "0.33333334");
	fmt_float(buf, FLT_MIN);
	T_EQ_STR(buf, "1.1754944e-38");
	fmt_float(buf, 16777216.0f);
	T_EQ_STR(buf, "16777216");
	uint32_t s = 2463534242u;
	for (int i = 0; i < 300000; i++) {
		s ^= s << 13, s ^= s >> 17, s ^= s << 5;
		float x;
		memcpy(&x, &s, sizeof x);
		if (!isfinite(x))
			continue;
		fmt_float(buf, x);
		if (strtof(buf, NULL) != x)
			T_FAIL("%.9g printed as %s", (double)x, buf);
		/* minimal: one digit fewer must not round-trip */
		char *e = strpbrk(buf, "e");
		int digits = 0;
		for (char *p = buf; *p && p != e; p++)
			digits += *p >= '0' && *p <= '9';
		if (digits > 1) {
			char shorter[400];
			snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)x);
			if (strtof(shorter, NULL) == x && strlen(shorter) < strlen(buf))
				T_FAIL("%s is not the shortest (%s)", buf, shorter);
		}
	}
}

static void test_writer_format(void)
{
	strbuf b = {0};
	jv v = jv_parse("{\"b\":[1,2.5,\"x\\n\\u0001\\\"\"],\"a\":{\"z\":null,\"y\":true},\"u\":\"caf\\u00e9\"}");
	sb_json(&b, v);
	jv_free(v);
	/* insertion order kept, compact, control chars escaped, UTF-8 passed */
	T_EQ_STR(b.s, "{\"b\":[1,2.5,\"x\\n\\u0001\\\"\"],\"a\":{\"z\":null,\"y\":true},\"u\":\"caf\xc3\xa9\"}");
	free(b.s);
}

/* ndjson_format_floats: the fmt_float numbers in brackets, and the
 * longest floats fit the NDJSON_FLOATS_MAX bound. */
static void test_format_floats(void)
{
	const float v[] = {-1.17549435e-38f, -3.40282347e+38f, -1.40129846e-45f, 0.1f, -0.0f, 1.0f / 3,
	                   -1.23456791e-20f, 16777216.0f};
	int n = (int)(sizeof v / sizeof v[0]);
	char buf[NDJSON_FLOATS_MAX(8) + 1], want[NDJSON_FLOATS_MAX(8) + 1], num[32];
	size_t len = ndjson_format_floats(buf, v, n), wl = 0, maxnum = 0;
	want[wl++] = '[';
	for (int i = 0; i < n; i++) {
		int k = fmt_float(num, v[i]);
		if ((size_t)k > maxnum)
			maxnum = (size_t)k;
		if (i)
			want[wl++] = ',';
		memcpy(want + wl, num, (size_t)k);
		wl += (size_t)k;
	}
	want[wl++] = ']';
	buf[len] = want[wl] = 0;
	T_EQ_STR(buf, want);
	T_ASSERT(len <= NDJSON_FLOATS_MAX(n));
	T_ASSERT(maxnum <= 16);   /* a number and its comma in 17 bytes */
	T_EQ_INT((int)ndjson_format_floats(buf, v, 0), 2);
}

/* Issue 15, D7: number literals the writer would not print back the same
 * come out as they came in, at any depth; the getters read them as numbers. */
static void test_numbers_kept(void)
{
	const char line[] = "{\"id\":9007199254740993,\"big\":12345678901234567890,\"huge\":1e400,"
	                    "\"f\":1.0,\"e\":1E+2,\"z\":-0.0,\"p\":0.12345678901234567890,"
	                    "\"ok\":[1,2.5,-0,1e-05,0.0001,123456789012345],"
	                    "\"n\":{\"a\":[9007199254740993,{\"b\":1.50}],\"s\":\"1.0 \\\"2.0\"},"
	                    "\"t\": 0.00001 ,\"u\":true}\n";
	const char want[] = "{\"id\":9007199254740993,\"big\":12345678901234567890,\"huge\":1e400,"
	                    "\"f\":1.0,\"e\":1E+2,\"z\":-0.0,\"p\":0.12345678901234567890,"
	                    "\"ok\":[1,2.5,-0,1e-05,0.0001,123456789012345],"
	                    "\"n\":{\"a\":[9007199254740993,{\"b\":1.50}],\"s\":\"1.0 \\\"2.0\"},"
	                    "\"t\":0.00001,\"u\":true}";
	char *f = (char *)write_file("num.ndjson", line, sizeof line - 1, 0);
	ndjson_reader *r = ndjson_open(&f, 1, 0);
	jv v;
	T_ASSERT(ndjson_next(r, &v));
	strbuf b = {0};
	sb_json(&b, v);
	T_EQ_STR(b.s, want);
	free(b.s);
	double x;
	T_ASSERT(ndjson_get_number(r, v, "id", &x));
	T_NEAR(x, 9007199254740992.0, 0);
	T_ASSERT(ndjson_get_number(r, v, "e", &x));
	T_NEAR(x, 100, 0);
	T_ASSERT(ndjson_opt_number(r, v, "p", &x) == 1);
	T_NEAR(x, 0.12345678901234568, 0);
	jv h = jv_object_get(jv_copy(v), jv_string("huge"));
	T_EQ_STR(ndjson_kind_name(h), "number");
	T_ASSERT(ndjson_number(h, &x) && isinf(x));
	jv_free(h);
	jv_free(v);
	ndjson_close(r);
	/* a vector of kept literals */
	f = (char *)write_file("numv.ndjson", "{\"v\":[1.0,2.50,1E1]}\n", 22, 0);
	r = ndjson_open(&f, 1, 0);
	float *vec;
	int dim = 0;
	T_ASSERT(ndjson_next(r, &v));
	T_ASSERT(ndjson_get_vector(r, v, "v", &vec, &dim));
	T_EQ_INT(dim, 3);
	T_ASSERT(vec[0] == 1 && vec[1] == 2.5f && vec[2] == 10);
	free(vec);
	jv_free(v);
	ndjson_close(r);
}

/* The reserved name cannot come from the input, however it is spelt. */
static void test_number_key_reserved(void)
{
	const char data[] = "{\"a\":{\"\\u0000number\":\"5\"}}\n{\"\\u0000\\u006eumber\":\"7\"}\n"
	                    "{\"x\":\"\\u0000number\"}\n{\"\\u0000numbers\":1}\n";
	char *f = (char *)write_file("key.ndjson", data, sizeof data - 1, 0);
	ndjson_reader *r = ndjson_open(&f, 1, 1);
	jv v;
	int n = 0;
	while (ndjson_next(r, &v)) {
		n++;
		jv_free(v);
	}
	T_EQ_INT(n, 2);    /* the string value and the other key are fine */
	T_EQ_INT(ndjson_skipped(r), 2);
	ndjson_close(r);
}

/* ndjson_number_canonical decides most literals without converting: it must
 * agree with fmt_double(strtod()) on every kind of literal. */
static void test_number_canonical(void)
{
	const char *yes[] = {"0", "-0", "1", "-17", "100", "999999999999999", "1234567890123456",
	                     "0.5", "-0.25", "0.0001", "123.45", "1e-05", "1e+300", "5e-324",
	                     "0.3333333333333333", "9007199254740992"};
	const char *no[] = {"1.0", "1.50", "1E+2", "1e2", "-0.0", "0.00001", "1e400", "-1e400",
	                    "9007199254740993", "12345678901234567890", "0.12345678901234567890",
	                    "1000000000000000", "1e-5", "0.10"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (!ndjson_number_canonical(yes[i], strlen(yes[i])))
			T_FAIL("%s: not canonical", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (ndjson_number_canonical(no[i], strlen(no[i])))
			T_FAIL("%s: canonical", no[i]);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	char lit[64], ref[32];
	int nyes = 0;
	for (int i = 0; i < 200000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		/* random digits, point and exponent */
		int nd = 1 + (int)(s % 19), pt = (int)((s >> 8) % (nd + 2)), k = 0;
		uint64_t d = s >> 16;
		if (s >> 63)
			lit[k++] = '-';
		for (int j = 0; j < nd; j++) {
			if (j == pt && j)
				lit[k++] = '.';
			int c = (int)(d % 10);
			d = d / 10 ^ (d << 7);
			if (j == 0 && nd > 1 && pt != 1)
				c = c ? c : 1;   /* no leading zero in a longer integer part */
			lit[k++] = (char)('0' + c);
		}
		if ((s >> 40) % 5 == 0)
			k += sprintf(lit + k, "e%d", (int)((s >> 44) % 40) - 20);
		lit[k] = 0;
		if (!strcmp(lit, "-") || strchr(lit, '.') == lit + k - 1)
			continue;
		int n = fmt_double(ref, strtod(lit, NULL));
		int want = n == k && !memcmp(ref, lit, (size_t)k);
		nyes += want;
		if (ndjson_number_canonical(lit, (size_t)k) != want)
			T_FAIL("%s: canonical %d, fmt_double gives %s", lit, !want, ref);
	}
	T_ASSERT(nyes > 20000 && nyes < 180000);   /* both answers well exercised */
}

int main(void)
{
	cli_init("test_ndjson", "");
	if (!mkdtemp(dir))
		return 2;
	T_RUN(test_blank_crlf_lines);
	T_RUN(test_gzip_and_files);
	T_RUN(test_long_line);
	T_RUN(test_skip_bad);
	T_RUN(test_vector_getter);
	T_RUN(test_fmt_double_roundtrip);
	T_RUN(test_fmt_float_roundtrip);
	T_RUN(test_writer_format);
	T_RUN(test_format_floats);
	T_RUN(test_numbers_kept);
	T_RUN(test_number_key_reserved);
	T_RUN(test_number_canonical);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 2;
	return t_done();
}
