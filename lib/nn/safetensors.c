/* safetensors.c — safetensors reader (checked, memory-mapped) and atomic writer. */
#include "nn/safetensors.h"
#include "base/err.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(size_t) == 8, "64-bit size_t expected");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

static const struct { const char *name; size_t size; } dtypes[ST_NDTYPES] = {
	[ST_BOOL] = {"BOOL", 1}, [ST_U8] = {"U8", 1}, [ST_I8] = {"I8", 1},
	[ST_F8_E5M2] = {"F8_E5M2", 1}, [ST_F8_E4M3] = {"F8_E4M3", 1},
	[ST_I16] = {"I16", 2}, [ST_U16] = {"U16", 2}, [ST_F16] = {"F16", 2},
	[ST_BF16] = {"BF16", 2}, [ST_I32] = {"I32", 4}, [ST_U32] = {"U32", 4},
	[ST_F32] = {"F32", 4}, [ST_F64] = {"F64", 8}, [ST_I64] = {"I64", 8},
	[ST_U64] = {"U64", 8},
};

const char *st_dtype_name(int dtype)
{
	return dtype >= 0 && dtype < ST_NDTYPES ? dtypes[dtype].name : "?";
}

int st_dtype_parse(const char *s)
{
	for (int i = 0; i < ST_NDTYPES; i++)
		if (!strcmp(s, dtypes[i].name))
			return i;
	return -1;
}

size_t st_dtype_size(int dtype)
{
	return dtype >= 0 && dtype < ST_NDTYPES ? dtypes[dtype].size : 0;
}

float st_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
	uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
	float f;
	if (e == 0x1f)
		bits = sign | 0x7f800000u | (m << 13);
	else if (e)
		bits = sign | ((e + 112) << 23) | (m << 13);
	else if (!m)
		bits = sign;
	else {                          /* subnormal: m x 2^-24, exact in float */
		f = (float)m * 0x1p-24f;
		return sign ? -f : f;
	}
	memcpy(&f, &bits, 4);
	return f;
}

float st_bf16_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

/* ---- reading ---------------------------------------------------------- */

void st_close(st_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->ntensors; i++)
		free(f->tensors[i].name);
	free(f->tensors);
	for (int i = 0; i < f->nmeta; i++) {
		free(f->meta_keys[i]);
		free(f->meta_vals[i]);
	}
	free(f->meta_keys);
	free(f->meta_vals);
	if (f->map)
		munmap(f->map, f->map_len);
	free(f);
}

/* A JSON number that is a whole number in [0, 2^53]; consumes v. */
static int get_count(jv v, uint64_t *out)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER) {
		jv_free(v);
		return 0;
	}
	double d = jv_number_value(v);
	jv_free(v);
	if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
		return 0;
	*out = (uint64_t)d;
	return 1;
}

/* Top-level keys of an object text that jq accepted, in order: start and
 * length of each quoted key. Returns the count, or -1 if the text is not
 * what was expected (cannot happen for valid JSON). */
static int scan_keys(const char *s, size_t n, size_t **pos, size_t **len)
{
	size_t i = 0, cap = 0;
	int depth = 0, nk = 0;
	*pos = *len = NULL;
	while (i < n) {
		char c = s[i];
		if (c == '"') {
			size_t a = i++;
			while (i < n && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (i >= n)
				return -1;
			i++;
			if (depth == 1) {
				size_t j = i;
				while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
					j++;
				if (j < n && s[j] == ':') {
					if ((size_t)nk == cap) {
						cap = cap ? 2 * cap : 16;
						size_t *p = realloc(*pos, cap * sizeof *p);
						if (!p)
							return -1;
						*pos = p;
						p = realloc(*len, cap * sizeof *p);
						if (!p)
							return -1;
						*len = p;
					}
					(*pos)[nk] = a;
					(*len)[nk] = i - a;
					nk++;
				}
			}
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		i++;
	}
	return nk;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_begin(const void *a, const void *b, void *base)
{
	const st_tensor *ts = base;
	const st_tensor *x = &ts[*(const int *)a], *y = &ts[*(const int *)b];
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/* Parse one tensor entry; 1 ok, 0 with a message. */
static int parse_entry(st_tensor *t, jv e, size_t data_len, char *err, size_t errlen)
{
	const char *nm = t->name;
	if (jv_get_kind(e) != JV_KIND_OBJECT) {
		seterr(err, errlen, "tensor \"%s\": entry is not an object", nm);
		return 0;
	}
	jv d = jv_object_get(jv_copy(e), jv_string("dtype"));
	if (jv_get_kind(d) != JV_KIND_STRING) {
		jv_free(d);
		seterr(err, errlen, "tensor \"%s\": missing or non-string dtype", nm);
		return 0;
	}
	t->dtype = st_dtype_parse(jv_string_value(d));
	if (t->dtype < 0) {
		seterr(err, errlen, "tensor \"%s\": unsupported dtype \"%.32s\"", nm, jv_string_value(d));
		jv_free(d);
		return 0;
	}
	jv_free(d);

	jv sh = jv_object_get(jv_copy(e), jv_string("shape"));
	if (jv_get_kind(sh) != JV_KIND_ARRAY) {
		jv_free(sh);
		seterr(err, errlen, "tensor \"%s\": missing or non-array shape", nm);
		return 0;
	}
	int nd = jv_array_length(jv_copy(sh));
	if (nd > ST_MAX_DIMS) {
		jv_free(sh);
		seterr(err, errlen, "tensor \"%s\": %d dimensions, at most %d supported", nm, nd, ST_MAX_DIMS);
		return 0;
	}
	t->ndim = nd;
	size_t numel = 1;
	int overflow = 0;
	for (int i = 0; i < nd; i++) {
		uint64_t v;
		if (!get_count(jv_array_get(jv_copy(sh), i), &v)) {
			jv_free(sh);
			seterr(err, errlen, "tensor \"%s\": shape[%d] is not a non-negative integer", nm, i);
			return 0;
		}
		t->shape[i] = (int64_t)v;
		if (__builtin_mul_overflow(numel, (size_t)v, &numel))
			overflow = 1;
	}
	jv_free(sh);
	size_t nbytes;
	if (overflow || __builtin_mul_overflow(numel, st_dtype_size(t->dtype), &nbytes)) {
		/* a zero dimension anywhere makes the product 0, not an overflow */
		int zero = 0;
		for (int i = 0; i < nd; i++)
			zero |= t->shape[i] == 0;
		if (!zero) {
			seterr(err, errlen, "tensor \"%s\": shape product overflows", nm);
			return 0;
		}
		numel = 0;
		nbytes = 0;
	}
	t->numel = numel;

	jv off = jv_object_get(jv_copy(e), jv_string("data_offsets"));
	uint64_t b, en;
	if (jv_get_kind(off) != JV_KIND_ARRAY || jv_array_length(jv_copy(off)) != 2 ||
	    !get_count(jv_array_get(jv_copy(off), 0), &b) ||
	    !get_count(jv_array_get(jv_copy(off), 1), &en)) {
		jv_free(off);
		seterr(err, errlen, "tensor \"%s\": data_offsets must be two non-negative integers", nm);
		return 0;
	}
	jv_free(off);
	if (b > en) {
		seterr(err, errlen, "tensor \"%s\": data_offsets [%llu, %llu] end before they begin", nm,
		       (unsigned long long)b, (unsigned long long)en);
		return 0;
	}
	if (en > data_len) {
		seterr(err, errlen, "tensor \"%s\": data_offsets [%llu, %llu] outside the data section "
		       "(%zu bytes; file truncated?)", nm, (unsigned long long)b, (unsigned long long)en, data_len);
		return 0;
	}
	if (en - b != nbytes) {
		seterr(err, errlen, "tensor \"%s\": %llu data bytes, but %s shape needs %zu", nm,
		       (unsigned long long)(en - b), dtypes[t->dtype].name, nbytes);
		return 0;
	}
	t->begin = (size_t)b;
	t->end = (size_t)en;
	return 1;
}

static int parse_meta(st_file *f, jv m, char *err, size_t errlen)
{
	if (jv_get_kind(m) != JV_KIND_OBJECT) {
		seterr(err, errlen, "__metadata__ is not an object");
		return 0;
	}
	int n = jv_object_length(jv_copy(m));
	f->meta_keys = calloc(n ? n : 1, sizeof *f->meta_keys);
	f->meta_vals = calloc(n ? n : 1, sizeof *f->meta_vals);
	if (!f->meta_keys || !f->meta_vals) {
		seterr(err, errlen, "out of memory");
		return 0;
	}
	int ok = 1;
	jv_object_foreach(m, k, v) {
		if (ok && jv_get_kind(v) != JV_KIND_STRING) {
			seterr(err, errlen, "__metadata__ value of \"%.64s\" is not a string", jv_string_value(k));
			ok = 0;
		}
		if (ok && f->nmeta < n) {
			f->meta_keys[f->nmeta] = strdup(jv_string_value(k));
			f->meta_vals[f->nmeta] = strdup(jv_string_value(v));
			if (!f->meta_keys[f->nmeta] || !f->meta_vals[f->nmeta]) {
				free(f->meta_keys[f->nmeta]);
				free(f->meta_vals[f->nmeta]);
				seterr(err, errlen, "out of memory");
				ok = 0;
			} else
				f->nmeta++;
		}
		jv_free(k);
		jv_free(v);
	}
	return ok;
}

/* Parse and check the whole file image; fills f (whose map fields are set). */
static int parse(st_file *f, const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	if (len < 8) {
		seterr(err, errlen, "file too short (%zu byte%s) for a safetensors header", len, len == 1 ? "" : "s");
		return 0;
	}
	uint64_t hl = 0;
	for (int i = 7; i >= 0; i--)
		hl = hl << 8 | buf[i];
	if (hl > ST_MAX_HEADER) {
		seterr(err, errlen, "header length %llu over the limit of %u bytes (not a safetensors file?)",
		       (unsigned long long)hl, ST_MAX_HEADER);
		return 0;
	}
	if (hl > len - 8) {
		seterr(err, errlen, "truncated file: header length %llu but only %zu bytes follow",
		       (unsigned long long)hl, len - 8);
		return 0;
	}
	const char *h = (const char *)buf + 8;
	if (hl < 2 || h[0] != '{') {
		seterr(err, errlen, "header does not start with a JSON object");
		return 0;
	}
	f->data = buf + 8 + hl;
	f->data_len = len - 8 - (size_t)hl;

	jv obj = jv_parse_sized(h, (int)hl);
	if (!jv_is_valid(obj)) {
		jv msg = jv_invalid_get_msg(obj);
		const char *s = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?";
		const char *cut = strstr(s, " (while parsing");
		seterr(err, errlen, "header is not valid JSON: %.*s", cut ? (int)(cut - s) : 200, s);
		jv_free(msg);
		return 0;
	}
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		jv_free(obj);
		seterr(err, errlen, "header is not a JSON object");
		return 0;
	}

	size_t *kpos, *klen;
	int nk = scan_keys(h, (size_t)hl, &kpos, &klen);
	int nobj = jv_object_length(jv_copy(obj));
	char **keys = nk > 0 ? calloc(nk, sizeof *keys) : NULL;
	int ok = nk >= 0 && (nk == 0 || keys);
	if (!ok)
		seterr(err, errlen, "header: cannot read its keys");
	for (int i = 0; ok && i < nk; i++) {
		jv k = jv_parse_sized(h + kpos[i], (int)klen[i]);
		if (jv_get_kind(k) != JV_KIND_STRING) {
			jv_free(k);
			seterr(err, errlen, "header: cannot read its keys");
			ok = 0;
			break;
		}
		if ((size_t)jv_string_length_bytes(jv_copy(k)) != strlen(jv_string_value(k))) {
			jv_free(k);
			seterr(err, errlen, "header: a tensor name contains a NUL character");
			ok = 0;
			break;
		}
		keys[i] = strdup(jv_string_value(k));
		jv_free(k);
		if (!keys[i]) {
			seterr(err, errlen, "out of memory");
			ok = 0;
		}
	}
	if (ok && nk != nobj) {
		char **sorted = malloc(nk * sizeof *sorted);
		ok = 0;
		if (!sorted)
			seterr(err, errlen, "out of memory");
		else {
			memcpy(sorted, keys, nk * sizeof *sorted);
			qsort(sorted, nk, sizeof *sorted, cmp_str);
			seterr(err, errlen, "header: inconsistent keys");
			for (int i = 1; i < nk; i++)
				if (!strcmp(sorted[i - 1], sorted[i])) {
					seterr(err, errlen, "duplicate tensor name \"%.200s\" in header", sorted[i]);
					break;
				}
			free(sorted);
		}
	}
	if (ok) {
		f->tensors = calloc(nk ? nk : 1, sizeof *f->tensors);
		if (!f->tensors) {
			seterr(err, errlen, "out of memory");
			ok = 0;
		}
	}
	int have_meta = 0;
	for (int i = 0; ok && i < nk; i++) {
		jv e = jv_object_get(jv_copy(obj), jv_string(keys[i]));
		if (!strcmp(keys[i], "__metadata__")) {
			ok = !have_meta && parse_meta(f, e, err, errlen);
			have_meta = 1;
		} else {
			st_tensor *t = &f->tensors[f->ntensors];
			t->name = keys[i];
			keys[i] = NULL;
			f->ntensors++;
			ok = parse_entry(t, e, f->data_len, err, errlen);
		}
		jv_free(e);
	}
	jv_free(obj);
	for (int i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	free(kpos);
	free(klen);
	if (!ok)
		return 0;

	/* no two tensors may share a byte */
	int *idx = malloc((f->ntensors ? f->ntensors : 1) * sizeof *idx);
	if (!idx) {
		seterr(err, errlen, "out of memory");
		return 0;
	}
	for (int i = 0; i < f->ntensors; i++)
		idx[i] = i;
	qsort_r(idx, f->ntensors, sizeof *idx, cmp_begin, f->tensors);
	const st_tensor *prev = NULL;
	for (int i = 0; i < f->ntensors; i++) {
		const st_tensor *t = &f->tensors[idx[i]];
		if (t->begin == t->end)
			continue;
		if (prev && t->begin < prev->end) {
			seterr(err, errlen, "tensors \"%.100s\" and \"%.100s\" overlap", prev->name, t->name);
			free(idx);
			return 0;
		}
		prev = t;
	}
	free(idx);
	return 1;
}

st_file *st_open_mem(const void *buf, size_t len, char *err, size_t errlen)
{
	st_file *f = calloc(1, sizeof *f);
	if (!f) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (!parse(f, buf, len, err, errlen)) {
		st_close(f);
		return NULL;
	}
	return f;
}

st_file *st_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		seterr(err, errlen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, "not a regular file");
		close(fd);
		return NULL;
	}
	size_t len = (size_t)st.st_size;
	void *map = NULL;
	if (len > 0) {       /* a file of 1-7 bytes too: parse says how short */
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			seterr(err, errlen, "cannot map file: %s", strerror(errno));
			close(fd);
			return NULL;
		}
	}
	close(fd);
	st_file *f = calloc(1, sizeof *f);
	if (!f) {
		if (map)
			munmap(map, len);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	f->map = map;
	f->map_len = len;
	static const unsigned char empty[1];
	if (!parse(f, map ? map : empty, map ? len : 0, err, errlen)) {
		st_close(f);
		return NULL;
	}
	return f;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
	for (int i = 0; i < f->ntensors; i++)
		if (!strcmp(f->tensors[i].name, name))
			return &f->tensors[i];
	return NULL;
}

const char *st_meta(const st_file *f, const char *key)
{
	for (int i = 0; i < f->nmeta; i++)
		if (!strcmp(f->meta_keys[i], key))
			return f->meta_vals[i];
	return NULL;
}

int st_to_f32(const st_file *f, const st_tensor *t, float *out, char *err, size_t errlen)
{
	const unsigned char *p = f->data + t->begin;
	size_t n = t->numel;
	switch (t->dtype) {
	case ST_F32:
		if (n)
			memcpy(out, p, n * 4);
		return 0;
	case ST_F16:
	case ST_BF16:
		for (size_t i = 0; i < n; i++) {
			uint16_t h;
			memcpy(&h, p + 2 * i, 2);
			out[i] = t->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
		}
		return 0;
	case ST_F64:
		for (size_t i = 0; i < n; i++) {
			double d;
			memcpy(&d, p + 8 * i, 8);
			out[i] = (float)d;
		}
		return 0;
	default:
		seterr(err, errlen, "tensor \"%s\": dtype %s is not a float type", t->name, st_dtype_name(t->dtype));
		return -1;
	}
}

int st_to_i64(const st_file *f, const st_tensor *t, int64_t *out, char *err, size_t errlen)
{
	const unsigned char *p = f->data + t->begin;
	size_t sz = st_dtype_size(t->dtype);
	for (size_t i = 0; i < t->numel; i++) {
		const unsigned char *q = p + i * sz;
		switch (t->dtype) {
		case ST_BOOL: out[i] = q[0] != 0; break;
		case ST_U8: out[i] = q[0]; break;
		case ST_I8: out[i] = (int8_t)q[0]; break;
		case ST_I16: { int16_t v; memcpy(&v, q, 2); out[i] = v; break; }
		case ST_U16: { uint16_t v; memcpy(&v, q, 2); out[i] = v; break; }
		case ST_I32: { int32_t v; memcpy(&v, q, 4); out[i] = v; break; }
		case ST_U32: { uint32_t v; memcpy(&v, q, 4); out[i] = v; break; }
		case ST_I64: { int64_t v; memcpy(&v, q, 8); out[i] = v; break; }
		case ST_U64: {
			uint64_t v;
			memcpy(&v, q, 8);
			if (v > INT64_MAX) {
				seterr(err, errlen, "tensor \"%s\": value %llu does not fit int64", t->name,
				       (unsigned long long)v);
				return -1;
			}
			out[i] = (int64_t)v;
			break;
		}
		default:
			seterr(err, errlen, "tensor \"%s\": dtype %s is not an integer type", t->name,
			       st_dtype_name(t->dtype));
			return -1;
		}
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

typedef struct sbuf {
	char *s;
	size_t n, cap;
	int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_json_string(sbuf *b, const char *s)
{
	jv d = jv_dump_string(jv_string(s), 0);
	sb_str(b, jv_string_value(d));
	jv_free(d);
}

int st_write(const char *path, const st_out *t, int n, const char *const *meta,
             char *err, size_t errlen)
{
	if (n < 0) {
		seterr(err, errlen, "negative tensor count");
		return -1;
	}
	size_t *bytes = calloc(n ? n : 1, sizeof *bytes);
	if (!bytes) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!t[i].name || !*t[i].name || !strcmp(t[i].name, "__metadata__")) {
			seterr(err, errlen, "tensor %d: bad name", i);
			free(bytes);
			return -1;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(t[i].name, t[j].name)) {
				seterr(err, errlen, "duplicate tensor name \"%s\"", t[i].name);
				free(bytes);
				return -1;
			}
		if (t[i].dtype < 0 || t[i].dtype >= ST_NDTYPES || t[i].ndim < 0 || t[i].ndim > ST_MAX_DIMS) {
			seterr(err, errlen, "tensor \"%s\": bad dtype or rank", t[i].name);
			free(bytes);
			return -1;
		}
		size_t numel = 1;
		int bad = 0;
		for (int d = 0; d < t[i].ndim; d++)
			bad |= t[i].shape[d] < 0 ||
			       __builtin_mul_overflow(numel, (size_t)t[i].shape[d], &numel);
		if (bad || __builtin_mul_overflow(numel, st_dtype_size(t[i].dtype), &bytes[i]) ||
		    (bytes[i] && !t[i].data)) {
			seterr(err, errlen, "tensor \"%s\": bad shape or data", t[i].name);
			free(bytes);
			return -1;
		}
	}

	sbuf h = {0};
	char num[64];
	sb_str(&h, "{");
	if (meta && meta[0]) {
		sb_str(&h, "\"__metadata__\":{");
		for (int i = 0; meta[i] && meta[i + 1]; i += 2) {
			if (i)
				sb_str(&h, ",");
			sb_json_string(&h, meta[i]);
			sb_str(&h, ":");
			sb_json_string(&h, meta[i + 1]);
		}
		sb_str(&h, "}");
	}
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		if (i || (meta && meta[0]))
			sb_str(&h, ",");
		sb_json_string(&h, t[i].name);
		sb_str(&h, ":{\"dtype\":\"");
		sb_str(&h, st_dtype_name(t[i].dtype));
		sb_str(&h, "\",\"shape\":[");
		for (int d = 0; d < t[i].ndim; d++) {
			snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
			sb_str(&h, num);
		}
		snprintf(num, sizeof num, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes[i]);
		sb_str(&h, num);
		off += bytes[i];
	}
	sb_str(&h, "}");
	while (!h.oom && h.n % 8)
		sb_str(&h, " ");
	if (h.oom) {
		free(h.s);
		free(bytes);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	unsigned char len8[8];
	for (int i = 0; i < 8; i++)
		len8[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
	const void **bufs = malloc((n + 2) * sizeof *bufs);
	size_t *lens = malloc((n + 2) * sizeof *lens);
	int ok = 0;
	if (!bufs || !lens)
		seterr(err, errlen, "out of memory");
	else {
		bufs[0] = len8;
		lens[0] = 8;
		bufs[1] = h.s;
		lens[1] = h.n;
		for (int i = 0; i < n; i++) {
			bufs[i + 2] = t[i].data;
			lens[i + 2] = bytes[i];
		}
		ok = atomic_write(path, bufs, lens, n + 2, err, errlen) == 0;
	}
	free(bufs);
	free(lens);
	free(h.s);
	free(bytes);
	return ok ? 0 : -1;
}
