/* test_safetensors.c — safetensors round trip, conversions and every rejected header. */
#include "t.h"
#include "nn/safetensors.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void mktmp(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/test_safetensors.XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
}

static void rmtmp(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[600];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

/* A file image: 8-byte length, header, ndata bytes 0,1,2,... */
static unsigned char *image(const char *header, size_t ndata, size_t *len)
{
	size_t hl = strlen(header);
	*len = 8 + hl + ndata;
	unsigned char *b = malloc(*len);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
	memcpy(b + 8, header, hl);
	for (size_t i = 0; i < ndata; i++)
		b[8 + hl + i] = (unsigned char)i;
	return b;
}

/* Parse the image; expect failure with msg containing want (or success if want is NULL). */
static int check(const char *header, size_t ndata, const char *want, char *got, size_t gotlen)
{
	size_t len;
	unsigned char *b = image(header, ndata, &len);
	got[0] = 0;
	st_file *f = st_open_mem(b, len, got, gotlen);
	int ok = want ? !f && strstr(got, want) != NULL : f != NULL;
	st_close(f);
	free(b);
	return ok;
}

#define REJECT(h, nd, want) do { char e_[512]; \
	if (!check(h, nd, want, e_, sizeof e_)) T_FAIL("header %s: got \"%s\", want \"%s\"", h, e_, want); } while (0)
#define ACCEPT(h, nd) do { char e_[512]; \
	if (!check(h, nd, NULL, e_, sizeof e_)) T_FAIL("header %s rejected: %s", h, e_); } while (0)

static void test_roundtrip(void)
{
	mktmp();
	char path[300], err[256];
	snprintf(path, sizeof path, "%s/a.safetensors", tmpdir);
	float w[6] = {1.5f, -2.25f, 3e-30f, 0.0f, -0.0f, 1e30f};
	int64_t ids[3] = {0, -7, INT64_MAX};
	float sc = 42.0f;
	int64_t s23[2] = {2, 3}, s3[1] = {3}, s0[2] = {0, 5};
	st_out out[] = {
		{"layer.weight", ST_F32, 2, s23, w},
		{"ids \"quoted\"\\", ST_I64, 1, s3, ids},
		{"scalar", ST_F32, 0, NULL, &sc},
		{"empty", ST_F32, 2, s0, NULL},
	};
	const char *meta[] = {"format", "pt", "note", "x\ny", NULL};
	T_ASSERT(st_write(path, out, 4, meta, err, sizeof err) == 0);
	st_file *f = st_open(path, err, sizeof err);
	if (!f)
		T_FAIL("open: %s", err);
	T_EQ_INT(f->ntensors, 4);
	/* header padded so that the data section starts on a multiple of 8 */
	T_EQ_INT((f->data - (const unsigned char *)f->map) % 8, 0);
	T_EQ_STR(f->tensors[0].name, "layer.weight");   /* header order kept */
	T_EQ_STR(st_meta(f, "format"), "pt");
	T_EQ_STR(st_meta(f, "note"), "x\ny");
	T_ASSERT(st_meta(f, "nothing") == NULL);
	const st_tensor *t = st_find(f, "layer.weight");
	T_ASSERT(t && t->dtype == ST_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3);
	float r[6];
	T_ASSERT(st_to_f32(f, t, r, err, sizeof err) == 0);
	T_ASSERT(!memcmp(r, w, sizeof w));
	t = st_find(f, "ids \"quoted\"\\");
	T_ASSERT(t && t->dtype == ST_I64 && t->numel == 3);
	int64_t ri[3];
	T_ASSERT(st_to_i64(f, t, ri, err, sizeof err) == 0);
	T_ASSERT(!memcmp(ri, ids, sizeof ids));
	T_ASSERT(st_to_f32(f, t, r, err, sizeof err));   /* ints are not floats */
	T_ASSERT(strstr(err, "not a float"));
	t = st_find(f, "scalar");
	T_ASSERT(t && t->ndim == 0 && t->numel == 1);
	T_ASSERT(st_to_f32(f, t, r, err, sizeof err) == 0 && r[0] == 42.0f);
	t = st_find(f, "empty");
	T_ASSERT(t && t->numel == 0 && t->begin == t->end);
	st_close(f);

	/* overwrite in place: atomic, no temporary left behind */
	T_ASSERT(st_write(path, out, 1, NULL, err, sizeof err) == 0);
	f = st_open(path, err, sizeof err);
	T_ASSERT(f && f->ntensors == 1 && f->nmeta == 0);
	st_close(f);
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	T_EQ_INT(n, 1);
	struct stat st;
	mode_t um = umask(0);
	umask(um);
	T_ASSERT(stat(path, &st) == 0);
	T_EQ_INT(st.st_mode & 0777, 0666 & ~um);   /* not mkstemp's 0600 */
}

static void test_write_errors(void)
{
	mktmp();
	char path[300], err[256];
	float w[2] = {1, 2};
	int64_t s2[1] = {2}, neg[1] = {-1};
	st_out dup[] = {{"a", ST_F32, 1, s2, w}, {"a", ST_F32, 1, s2, w}};
	snprintf(path, sizeof path, "%s/b.safetensors", tmpdir);
	T_ASSERT(st_write(path, dup, 2, NULL, err, sizeof err));
	T_ASSERT(strstr(err, "duplicate"));
	st_out bad[] = {{"a", ST_F32, 1, neg, w}};
	T_ASSERT(st_write(path, bad, 1, NULL, err, sizeof err));
	st_out meta[] = {{"__metadata__", ST_F32, 1, s2, w}};
	T_ASSERT(st_write(path, meta, 1, NULL, err, sizeof err));
	T_ASSERT(st_write("/nonexistent-dir/x.safetensors", dup, 1, NULL, err, sizeof err));
	T_ASSERT(strstr(err, "temporary"));
	T_ASSERT(access(path, F_OK) != 0);
}

static void test_half_conversions(void)
{
	T_EQ_INT(st_f16_to_f32(0x3c00) == 1.0f, 1);
	T_EQ_INT(st_f16_to_f32(0xc100) == -2.5f, 1);
	T_EQ_INT(st_f16_to_f32(0x7bff) == 65504.0f, 1);
	T_EQ_INT(st_f16_to_f32(0x0001) == 0x1p-24f, 1);          /* smallest subnormal */
	T_EQ_INT(st_f16_to_f32(0x03ff) == 1023 * 0x1p-24f, 1);   /* largest subnormal */
	T_EQ_INT(st_f16_to_f32(0x0400) == 0x1p-14f, 1);          /* smallest normal */
	T_EQ_INT(st_f16_to_f32(0x8001) == -0x1p-24f, 1);
	T_ASSERT(signbit(st_f16_to_f32(0x8000)) && st_f16_to_f32(0x8000) == 0.0f);
	T_ASSERT(isinf(st_f16_to_f32(0x7c00)) && st_f16_to_f32(0xfc00) < 0);
	T_ASSERT(isnan(st_f16_to_f32(0x7e00)));
	T_EQ_INT(st_bf16_to_f32(0x3f80) == 1.0f, 1);
	T_EQ_INT(st_bf16_to_f32(0xc0a0) == -5.0f, 1);
	T_ASSERT(isinf(st_bf16_to_f32(0x7f80)));

	/* through a file: F16 and BF16 tensors read as float32 */
	uint16_t h[3] = {0x3c00, 0xc100, 0x0001}, bf[2] = {0x3f80, 0xc0a0};
	int64_t s3[1] = {3}, s2[1] = {2};
	st_out out[] = {{"h", ST_F16, 1, s3, h}, {"b", ST_BF16, 1, s2, bf}};
	char path[300], err[256];
	mktmp();
	snprintf(path, sizeof path, "%s/h.safetensors", tmpdir);
	T_ASSERT(st_write(path, out, 2, NULL, err, sizeof err) == 0);
	st_file *f = st_open(path, err, sizeof err);
	T_ASSERT(f);
	float r[3];
	T_ASSERT(st_to_f32(f, st_find(f, "h"), r, err, sizeof err) == 0);
	T_ASSERT(r[0] == 1.0f && r[1] == -2.5f && r[2] == 0x1p-24f);
	T_ASSERT(st_to_f32(f, st_find(f, "b"), r, err, sizeof err) == 0);
	T_ASSERT(r[0] == 1.0f && r[1] == -5.0f);
	st_close(f);
	unlink(path);
}

static void test_rejects(void)
{
	char err[256];
	size_t len;
	unsigned char *b = image("{}", 0, &len);
	T_ASSERT(!st_open_mem(b, 5, err, sizeof err) && strstr(err, "too short"));
	/* header length larger than the file */
	b[0] = 200;
	T_ASSERT(!st_open_mem(b, len, err, sizeof err) && strstr(err, "truncated"));
	/* hostile header length */
	memset(b, 0xff, 8);
	T_ASSERT(!st_open_mem(b, len, err, sizeof err) && strstr(err, "over the limit"));
	free(b);

	ACCEPT("{}", 0);
	ACCEPT("{\"__metadata__\":{\"a\":\"b\"}}  ", 0);
	ACCEPT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
	ACCEPT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);   /* holes are fine */
	ACCEPT("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
	       "\"b\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]}}", 0);
	REJECT("[]", 0, "does not start with a JSON object");
	REJECT(" {}", 0, "does not start with a JSON object");
	REJECT("{\"a\":", 0, "not valid JSON");
	REJECT("{\"a\":1} x", 0, "not valid JSON");
	REJECT("{\"a\":1}", 0, "not an object");
	REJECT("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype");
	REJECT("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unsupported dtype");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4, "shape");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0]");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0]");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[nan],\"data_offsets\":[0,4]}}", 4, "shape[0]");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}", 4, "shape[0]");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
	       "dimensions");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}", 4,
	       "overflows");
	REJECT("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,536870912],\"data_offsets\":[0,4]}}", 4,
	       "overflows");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "data_offsets");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "data_offsets");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4, "data_offsets");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "end before");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 3, "outside the data");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, "shape needs 8");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	       "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap");
	REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	       "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "duplicate tensor name \"a\"");
	REJECT("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "NUL");
	REJECT("{\"__metadata__\":{\"a\":1}}", 0, "__metadata__");
	REJECT("{\"__metadata__\":[]}", 0, "__metadata__");
	/* deep nesting is refused by the parser, not a stack overflow */
	char deep[3000] = "{\"a\":";
	memset(deep + 5, '[', 2000);
	deep[2005] = 0;
	REJECT(deep, 0, "not valid JSON");
}

static void test_open_errors(void)
{
	char err[256], path[300];
	mktmp();
	T_ASSERT(!st_open(tmpdir, err, sizeof err) && strstr(err, "not a regular file"));
	T_ASSERT(!st_open("/nonexistent/x", err, sizeof err) && strstr(err, "No such file"));
	snprintf(path, sizeof path, "%s/empty", tmpdir);
	FILE *f = fopen(path, "w");
	fclose(f);
	T_ASSERT(!st_open(path, err, sizeof err) && strstr(err, "too short (0 bytes)"));
	/* issue 15, D12: a 1-7 byte file was reported as "(0 bytes)" */
	for (int n = 1; n < 8; n++) {
		f = fopen(path, "w");
		fwrite("\x10\0\0\0\0\0\0", 1, (size_t)n, f);
		fclose(f);
		char want[64];
		snprintf(want, sizeof want, "file too short (%d byte%s)", n, n == 1 ? "" : "s");
		if (st_open(path, err, sizeof err) || !strstr(err, want))
			T_FAIL("%d bytes: \"%s\", expected \"%s\"", n, err, want);
	}
	unlink(path);
}

int main(void)
{
	T_RUN(test_roundtrip);
	T_RUN(test_write_errors);
	T_RUN(test_half_conversions);
	T_RUN(test_rejects);
	T_RUN(test_open_errors);
	rmtmp();
	return t_done();
}
