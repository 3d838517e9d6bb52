/* llmanswer.c — JSON object extraction and shape checks for LLM answers.
 * See llmanswer.h. */
#include "llm/llmanswer.h"

#include "base/cli.h"
#include "base/ndjson.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	MAX_CONTENT = 1 << 20,  /* longest answer looked at (bytes) */
	MAX_STARTS = 256,       /* '{' positions tried before giving up */
	COUNT_MAX = 1000000000, /* the shape type "count": 0..COUNT_MAX */
};

/* ------------------------------------------------------------ reasoning */

static const char *const think_tags[] = {"think", "thinking", "reasoning", NULL};

/* Position of the first "<tag>" (close: "</tag>") of any reasoning tag at or
 * after from, case-insensitive; its length in *tlen. NULL if none. */
static const char *find_tag(const char *s, const char *end, int close, size_t *tlen)
{
	for (const char *p = s; p < end; p++) {
		if (*p != '<')
			continue;
		const char *q = p + 1;
		if (close) {
			if (q >= end || *q != '/')
				continue;
			q++;
		}
		for (int i = 0; think_tags[i]; i++) {
			size_t n = strlen(think_tags[i]);
			if ((size_t)(end - q) > n && !strncasecmp(q, think_tags[i], n) && q[n] == '>') {
				*tlen = (size_t)(q + n + 1 - p);
				return p;
			}
		}
	}
	return NULL;
}

char *llm_strip_reasoning(const char *content, size_t len)
{
	const char *s = content, *end = content + len;
	size_t tl;
	/* A closing tag before any opening one: the template opened the block. */
	const char *c = find_tag(s, end, 1, &tl);
	const char *o = find_tag(s, end, 0, &tl);
	if (c && (!o || c < o)) {
		find_tag(c, end, 1, &tl);
		s = c + tl;
	}
	strbuf b = {0};
	sb_puts(&b, "", 0);
	while (s < end) {
		const char *open = find_tag(s, end, 0, &tl);
		if (!open) {
			sb_puts(&b, s, (size_t)(end - s));
			break;
		}
		sb_puts(&b, s, (size_t)(open - s));
		const char *close = find_tag(open + tl, end, 1, &tl);
		if (!close)
			break;          /* unfinished reasoning runs to the end */
		s = close + tl;
	}
	return b.s;
}

/* ------------------------------------------------------------ extraction */

/* End (index of the matching '}') of the object starting at s[i] == '{',
 * reading JSON strings properly; -1 if the text ends first. */
static long match_object(const char *s, size_t n, size_t i)
{
	int depth = 0, in_str = 0;
	for (size_t k = i; k < n; k++) {
		char ch = s[k];
		if (in_str) {
			if (ch == '\\')
				k++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (--depth == 0)
				return ch == '}' ? (long)k : -1;
			if (depth < 0)
				return -1;
		}
	}
	return -2;  /* ran off the end: cut off */
}

const char *llm_reason_name(int r)
{
	static const char *const names[LLM_R_N] = {
		"ok", "empty", "not JSON", "invalid JSON", "cut off", "too long", "wrong shape",
		"spans not in the sentence", "copies of the sentence", "length far from the sentence's",
		"unrelated to the sentence", "NUL or invalid UTF-8",
	};
	return r >= 0 && r < LLM_R_N ? names[r] : "?";
}

/* The first bytes of s as one quoted line, for messages. */
static void quote_start(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, max = cap > 64 ? 60 : cap - 4;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	out[o++] = '"';
	size_t i = 0;
	for (; i < n && o < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	if (i < n)
		while (o > 1 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;               /* do not split a UTF-8 sequence */
	if (i < n && o > 1 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;
	if (i < n)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o++] = '"';
	out[o] = 0;
}

/* The path of the first string under v that holds U+0000, written to path
 * (pl bytes in use); 1 when there is one. */
static int nul_path(jv v, char *path, size_t pl, size_t cap)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return memchr(jv_string_value(v), 0, (size_t)jv_string_length_bytes(jv_copy(v))) != NULL;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		for (int i = 0; i < n; i++) {
			jv x = jv_array_get(jv_copy(v), i);
			snprintf(path + pl, cap - pl, "[%d]", i);
			int hit = nul_path(x, path, strlen(path), cap);
			jv_free(x);
			if (hit)
				return 1;
		}
		path[pl] = 0;
		return 0;
	}
	case JV_KIND_OBJECT: {
		int hit = 0;
		jv_object_foreach(jv_copy(v), k, x) {
			if (!hit) {
				snprintf(path + pl, cap - pl, "%s%s", pl ? "." : "", jv_string_value(k));
				hit = nul_path(x, path, strlen(path), cap);
			}
			jv_free(k);
			jv_free(x);
		}
		if (!hit)
			path[pl] = 0;
		return hit;
	}
	default:
		return 0;
	}
}

int llm_check_answer(jv answer, const llm_format *f, void *ctx, char *err, size_t errlen)
{
	char e[480] = "";
	/* a string holding U+0000 would be cut where the programs take it as a
	 * C string: an encoding fault, whatever field it is in */
	if (nul_path(answer, e, 0, sizeof e)) {
		snprintf(err, errlen, "%s: contains a NUL character (\\u0000)", *e ? e : ".");
		return LLM_R_ENCODING;
	}
	if (!llm_shape_check(answer, f->shape, e, sizeof e)) {
		snprintf(err, errlen, "wrong shape: %s", e);
		return LLM_R_SHAPE;
	}
	return f->check ? f->check(answer, ctx, err, errlen) : LLM_R_OK;
}

int llm_extract(const char *content, size_t len, const llm_format *f, void *vctx,
                jv *out, char *err, size_t errlen)
{
	if (len > MAX_CONTENT) {
		snprintf(err, errlen, "the answer is %zu bytes, more than the %d MiB an answer may have",
		         len, MAX_CONTENT >> 20);
		return LLM_R_TOOLONG;
	}
	if (memchr(content, 0, len)) {
		snprintf(err, errlen, "the answer contains a NUL character");
		return LLM_R_ENCODING;
	}
	char *text = llm_strip_reasoning(content, len);
	size_t n = strlen(text);
	char bad_err[512] = "", parse_err[512] = "";
	int cut = 0, starts = 0, bad = LLM_R_OK;
	for (size_t i = 0; i < n && starts < MAX_STARTS; i++) {
		if (text[i] != '{')
			continue;
		starts++;
		long e = match_object(text, n, i);
		if (e == -2) {
			cut = 1;
			continue;
		}
		if (e < 0)
			continue;
		jv v = jv_parse_sized(text + i, (int)(e - (long)i + 1));
		if (!jv_is_valid(v)) {
			if (!parse_err[0]) {
				jv m = jv_invalid_get_msg(v);
				snprintf(parse_err, sizeof parse_err, "invalid JSON: %s",
				         jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "?");
				jv_free(m);
			} else {
				jv_free(v);
			}
			continue;
		}
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			continue;
		}
		char e2[512] = "";
		int r = f ? llm_check_answer(v, f, vctx, e2, sizeof e2) : LLM_R_OK;
		if (r == LLM_R_OK) {
			*out = v;
			free(text);
			return LLM_R_OK;
		}
		jv_free(v);
		if (!bad) {
			bad = r;
			snprintf(bad_err, sizeof bad_err, "%s", e2[0] ? e2 : llm_reason_name(r));
		}
		i = (size_t)e;  /* the next candidate starts after this object */
	}
	int r;
	if (bad) {
		r = bad;
		snprintf(err, errlen, "%s", bad_err);
	} else if (cut) {
		r = LLM_R_CUT;
		snprintf(err, errlen, "JSON object cut off: the answer ends inside it");
	} else if (parse_err[0]) {
		r = LLM_R_BADJSON;
		snprintf(err, errlen, "%s", parse_err);
	} else if (!n || strspn(text, " \t\r\n") == n) {
		r = LLM_R_EMPTY;
		snprintf(err, errlen, "empty answer");
	} else {
		char q[80];
		quote_start(text, n, q, sizeof q);
		r = LLM_R_NOJSON;
		snprintf(err, errlen, "no JSON object in the answer, which begins %s", q);
	}
	free(text);
	return r;
}

/* ------------------------------------------------------------ shapes */

static const char *kind_name(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_INVALID: return "nothing";
	case JV_KIND_NULL: return "null";
	case JV_KIND_FALSE:
	case JV_KIND_TRUE: return "boolean";
	case JV_KIND_NUMBER: return "number";
	case JV_KIND_STRING: return "string";
	case JV_KIND_ARRAY: return "array";
	case JV_KIND_OBJECT: return "object";
	}
	return "?";
}

static int is_blank_str(jv v)
{
	const char *s = jv_string_value(v);
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* A string holding U+0000: the programs take answers as C strings, which
 * would end there, so such an answer is invalid (issue 15, D8). */
static int has_nul(jv v)
{
	return memchr(jv_string_value(v), 0, (size_t)jv_string_length_bytes(jv_copy(v))) != NULL;
}

static int type_ok(jv v, const char *t, size_t n)
{
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_STRING && has_nul(v))
		return 0;
#define IS(name) (n == sizeof name - 1 && !strncmp(t, name, n))
	if (IS("any")) return k != JV_KIND_INVALID;
	if (IS("string")) return k == JV_KIND_STRING;
	if (IS("nonempty")) return k == JV_KIND_STRING && !is_blank_str(v);
	if (IS("number")) return k == JV_KIND_NUMBER && isfinite(jv_number_value(v));
	if (IS("integer")) return k == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v))
		&& fabs(jv_number_value(v)) < 9e15;
	if (IS("count")) return k == JV_KIND_NUMBER && jv_number_value(v) == floor(jv_number_value(v))
		&& jv_number_value(v) >= 0 && jv_number_value(v) <= COUNT_MAX;
	if (IS("boolean")) return k == JV_KIND_TRUE || k == JV_KIND_FALSE;
	if (IS("null")) return k == JV_KIND_NULL;
	if (IS("object")) return k == JV_KIND_OBJECT;
	if (IS("array")) return k == JV_KIND_ARRAY;
#undef IS
	return -1;  /* unknown type name: a fault in the shape */
}

/* path: where we are, for messages. Returns 1 ok. */
static int check(jv v, jv shape, char *path, size_t plen, char *err, size_t errlen)
{
	size_t pl = strlen(path);
	switch (jv_get_kind(shape)) {
	case JV_KIND_STRING: {
		const char *t = jv_string_value(shape);
		size_t tn = strlen(t);
		int opt = tn && t[tn - 1] == '?';
		if (opt) {
			tn--;
			if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL)
				return 1;
		}
		for (const char *p = t; p < t + tn;) {
			const char *bar = memchr(p, '|', (size_t)(t + tn - p));
			size_t n = bar ? (size_t)(bar - p) : (size_t)(t + tn - p);
			int r = type_ok(v, p, n);
			if (r < 0) {
				snprintf(err, errlen, "%s: bad shape type \"%.*s\"", pl ? path : ".", (int)n, p);
				return 0;
			}
			if (r)
				return 1;
			p += n + (bar != NULL);
		}
		const char *got = kind_name(v);
		if (jv_get_kind(v) == JV_KIND_STRING && has_nul(v))
			got = "a string holding \\u0000";
		else if (jv_get_kind(v) == JV_KIND_STRING && strstr(t, "nonempty"))
			got = "an empty string";
		snprintf(err, errlen, "%s: expected %.*s, got %s", pl ? path : ".", (int)tn, t, got);
		return 0;
	}
	case JV_KIND_ARRAY: {
		if (jv_get_kind(v) != JV_KIND_ARRAY) {
			snprintf(err, errlen, "%s: expected array, got %s", pl ? path : ".", kind_name(v));
			return 0;
		}
		if (jv_array_length(jv_copy(shape)) == 0)
			return 1;
		jv es = jv_array_get(jv_copy(shape), 0);
		int n = jv_array_length(jv_copy(v)), ok = 1;
		for (int i = 0; i < n && ok; i++) {
			snprintf(path + pl, plen - pl, "[%d]", i);
			jv e = jv_array_get(jv_copy(v), i);
			ok = check(e, es, path, plen, err, errlen);
			jv_free(e);
		}
		path[pl] = 0;
		jv_free(es);
		return ok;
	}
	case JV_KIND_OBJECT: {
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			snprintf(err, errlen, "%s: expected object, got %s", pl ? path : ".", kind_name(v));
			return 0;
		}
		int ok = 1;
		for (int it = jv_object_iter(shape); ok && jv_object_iter_valid(shape, it);
		     it = jv_object_iter_next(shape, it)) {
			jv k = jv_object_iter_key(shape, it);
			jv s = jv_object_iter_value(shape, it);
			char name[256];
			snprintf(name, sizeof name, "%s", jv_string_value(k));
			size_t nl = strlen(name);
			int opt = nl && name[nl - 1] == '?';
			if (opt)
				name[nl - 1] = 0;
			jv e = jv_object_has(jv_copy(v), jv_string(name))
			       ? jv_object_get(jv_copy(v), jv_string(name)) : jv_invalid();
			snprintf(path + pl, plen - pl, "%s%s", pl ? "." : "", name);
			int absent = jv_get_kind(e) == JV_KIND_INVALID;
			if (opt && (absent || jv_get_kind(e) == JV_KIND_NULL))
				;       /* an optional key may be absent or null */
			else if (!check(e, s, path, plen, err, errlen)) {
				if (absent)
					snprintf(err, errlen, "%s: missing", path);
				ok = 0;
			}
			path[pl] = 0;
			jv_free(e);
			jv_free(s);
			jv_free(k);
		}
		return ok;
	}
	default:
		snprintf(err, errlen, "%s: bad shape (a %s)", pl ? path : ".", kind_name(shape));
		return 0;
	}
}

int llm_shape_check(jv value, jv shape, char *err, size_t errlen)
{
	char path[512] = "";
	return check(value, shape, path, sizeof path, err, errlen);
}

/* ------------------------------------------------------------ schemas */

static jv type_schema(const char *t, size_t n)
{
#define IS(name) (n == sizeof name - 1 && !strncmp(t, name, n))
	jv o = jv_object();
	const char *ty = IS("nonempty") ? "string" : IS("count") ? "integer" : NULL;
	if (IS("any"))
		return o;
	if (!ty && (IS("string") || IS("number") || IS("integer") || IS("boolean") || IS("null") ||
	            IS("object") || IS("array")))
		ty = t;
	if (!ty) {
		jv_free(o);
		return jv_invalid();
	}
	o = jv_object_set(o, jv_string("type"), jv_string_sized(ty, ty == t ? (int)n : (int)strlen(ty)));
	if (IS("nonempty"))
		o = jv_object_set(o, jv_string("minLength"), jv_number(1));
	if (IS("count")) {
		o = jv_object_set(o, jv_string("minimum"), jv_number(0));
		o = jv_object_set(o, jv_string("maximum"), jv_number(COUNT_MAX));
	}
	return o;
#undef IS
}

static jv null_schema(void)
{
	return jv_object_set(jv_object(), jv_string("type"), jv_string("null"));
}

/* s, or null as well: a scalar type gets "null" added to its "type";
 * anything else (objects, arrays, unions) becomes anyOf [s, {"type":
 * "null"}], the form every server's schema converter reads. */
static jv nullable(jv s)
{
	if (jv_get_kind(s) != JV_KIND_OBJECT || jv_object_length(jv_copy(s)) == 0)
		return s;   /* invalid stays invalid; {} (any) already allows null */
	jv t = jv_object_get(jv_copy(s), jv_string("type"));
	if (jv_get_kind(t) == JV_KIND_STRING && strcmp(jv_string_value(t), "object") &&
	    strcmp(jv_string_value(t), "array")) {
		if (!strcmp(jv_string_value(t), "null")) {
			jv_free(t);
			return s;
		}
		jv arr = jv_array_append(jv_array_append(jv_array(), t), jv_string("null"));
		return jv_object_set(s, jv_string("type"), arr);
	}
	jv_free(t);
	jv any = jv_array_append(jv_array_append(jv_array(), s), null_schema());
	return jv_object_set(jv_object(), jv_string("anyOf"), any);
}

jv llm_shape_schema(jv shape)
{
	switch (jv_get_kind(shape)) {
	case JV_KIND_STRING: {
		const char *t = jv_string_value(shape);
		size_t tn = strlen(t);
		int opt = tn && t[tn - 1] == '?';
		if (opt)
			tn--;
		jv alts = jv_array();
		for (const char *p = t; p < t + tn;) {
			const char *bar = memchr(p, '|', (size_t)(t + tn - p));
			size_t n = bar ? (size_t)(bar - p) : (size_t)(t + tn - p);
			jv a = type_schema(p, n);
			if (!jv_is_valid(a)) {
				jv_free(alts);
				return a;
			}
			if (jv_object_length(jv_copy(a)) == 0) {   /* "any" */
				jv_free(alts);
				return a;
			}
			alts = jv_array_append(alts, a);
			p += n + (bar != NULL);
		}
		int na = jv_array_length(jv_copy(alts));
		if (na == 0) {
			jv_free(alts);
			return jv_invalid();
		}
		jv s;
		if (na == 1)
			s = jv_array_get(alts, 0);
		else
			s = jv_object_set(jv_object(), jv_string("anyOf"), alts);
		return opt ? nullable(s) : s;
	}
	case JV_KIND_ARRAY: {
		jv s = jv_object_set(jv_object(), jv_string("type"), jv_string("array"));
		if (jv_array_length(jv_copy(shape)) == 0)
			return s;
		jv el = jv_array_get(jv_copy(shape), 0);
		jv items = llm_shape_schema(el);
		jv_free(el);
		if (!jv_is_valid(items)) {
			jv_free(s);
			return items;
		}
		return jv_object_set(s, jv_string("items"), items);
	}
	case JV_KIND_OBJECT: {
		jv props = jv_object(), req = jv_array();
		for (int it = jv_object_iter(shape); jv_object_iter_valid(shape, it);
		     it = jv_object_iter_next(shape, it)) {
			jv k = jv_object_iter_key(shape, it);
			jv v = jv_object_iter_value(shape, it);
			const char *name = jv_string_value(k);
			size_t nl = strlen(name);
			int opt = nl && name[nl - 1] == '?';
			jv ps = llm_shape_schema(v);
			jv_free(v);
			if (!jv_is_valid(ps)) {
				jv_free(k);
				jv_free(props);
				jv_free(req);
				return ps;
			}
			if (opt)
				ps = nullable(ps);
			jv key = jv_string_sized(name, (int)(nl - (size_t)opt));
			props = jv_object_set(props, jv_copy(key), ps);
			req = jv_array_append(req, key);
			jv_free(k);
		}
		jv s = jv_object_set(jv_object(), jv_string("type"), jv_string("object"));
		s = jv_object_set(s, jv_string("properties"), props);
		s = jv_object_set(s, jv_string("required"), req);
		return jv_object_set(s, jv_string("additionalProperties"), jv_false());
	}
	default:
		return jv_invalid();
	}
}

int llm_format_init(llm_format *f, const char *name, const char *shape, llm_check_fn check,
                    char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	f->check = check;
	f->shape = jv_parse(shape);
	f->schema = jv_is_valid(f->shape) ? llm_shape_schema(f->shape) : jv_invalid();
	if (!jv_is_valid(f->schema)) {
		snprintf(err, errlen, "%s: bad answer shape %s", name, shape);
		llm_format_free(f);
		f->shape = f->schema = jv_invalid();
		return -1;
	}
	return 0;
}

void llm_format_free(llm_format *f)
{
	jv_free(f->shape);
	jv_free(f->schema);
	f->shape = f->schema = jv_invalid();
}

/* ------------------------------------------------------------ candidates */

/* Function words not counted as content (3 letters or more). */
static const char *const stop_words[] = {
	"about", "after", "all", "and", "any", "are", "been", "before", "being", "but", "can",
	"could", "did", "does", "doing", "for", "from", "had", "has", "have", "her", "him", "his",
	"into", "its", "not", "one", "onto", "our", "over", "she", "should", "some", "than",
	"that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
	"under", "was", "were", "what", "when", "where", "which", "who", "will", "with",
	"would", "you", "your", NULL,
};

static int is_word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Words of s (lower-cased ASCII) joined by single spaces (malloc'ed). */
static char *word_string(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (!is_word_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		if (k)
			o[k++] = ' ';
		while (i < n && is_word_byte((unsigned char)s[i]))
			o[k++] = (char)tolower((unsigned char)s[i++]);
	}
	o[k] = 0;
	return o;
}

typedef struct stem { char s[5]; } stem;

static int stem_cmp(const void *x, const void *y)
{
	return strcmp(((const stem *)x)->s, ((const stem *)y)->s);
}

/* The distinct content-word stems of a word string (as word_string makes). */
static stem *content_stems(const char *w, int *count)
{
	size_t n = strlen(w), cap = n / 4 + 1;
	stem *st = xmalloc(cap * sizeof *st);
	int k = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && w[j] != ' ')
			j++;
		size_t len = j - i;
		int stop = len < 3;
		for (int s = 0; !stop && stop_words[s]; s++)
			stop = strlen(stop_words[s]) == len && !memcmp(stop_words[s], w + i, len);
		if (!stop) {
			if ((size_t)k == cap)
				st = xrealloc(st, (cap *= 2) * sizeof *st);
			size_t m = len < 4 ? len : 4;
			memcpy(st[k].s, w + i, m);
			st[k].s[m] = 0;
			k++;
		}
		i = j + 1;
	}
	qsort(st, (size_t)k, sizeof *st, stem_cmp);
	int u = 0;
	for (int i = 0; i < k; i++)
		if (!u || strcmp(st[u - 1].s, st[i].s))
			st[u++] = st[i];
	*count = u;
	return st;
}

int llm_check_text(jv answer, void *anchor, char *err, size_t errlen)
{
	jv t = jv_object_get(jv_copy(answer), jv_string("text"));
	if (jv_get_kind(t) != JV_KIND_STRING) {
		snprintf(err, errlen, "text: expected string, got %s", kind_name(t));
		jv_free(t);
		return LLM_R_SHAPE;
	}
	const char *ts = jv_string_value(t);
	size_t tlen = (size_t)jv_string_length_bytes(jv_copy(t));
	const char *a = anchor;
	int r = LLM_R_OK;
	char *x = NULL, *y = NULL, *wx = NULL, *wy = NULL;
	if (strlen(ts) != tlen) {
		snprintf(err, errlen, "text: contains a NUL character");
		r = LLM_R_ENCODING;
	} else if (strstr(ts, "\xef\xbf\xbd") && !(a && strstr(a, "\xef\xbf\xbd"))) {
		snprintf(err, errlen, "text: not valid UTF-8 (it holds U+FFFD, the mark of a bad byte)");
		r = LLM_R_ENCODING;
	}
	if (r || !a)
		goto out;
	x = llm_one_line(ts);
	y = llm_one_line(a);
	size_t xn = strlen(x), yn = strlen(y);
	wx = word_string(x, xn);
	wy = word_string(y, yn);
	if (!strcmp(wx, wy)) {
		snprintf(err, errlen, "text: the same as the sentence");
		r = LLM_R_COPY;
	} else if (xn > 2 * yn + 20) {
		snprintf(err, errlen, "text: %zu bytes, far longer than the sentence (%zu)", xn, yn);
		r = LLM_R_LENGTH;
	} else if (3 * xn + 20 < yn) {
		snprintf(err, errlen, "text: %zu bytes, far shorter than the sentence (%zu)", xn, yn);
		r = LLM_R_LENGTH;
	} else {
		int na, nt;
		stem *sa = content_stems(wy, &na), *st = content_stems(wx, &nt);
		int shared = 0;
		for (int i = 0, j = 0; i < na && j < nt;) {
			int c = strcmp(sa[i].s, st[j].s);
			if (!c)
				shared++, i++, j++;
			else if (c < 0)
				i++;
			else
				j++;
		}
		if (na >= 4 && 5 * shared < na) {
			snprintf(err, errlen, "text: unrelated to the sentence (%d of its %d content words)", shared, na);
			r = LLM_R_UNRELATED;
		}
		free(sa);
		free(st);
	}
out:
	free(x);
	free(y);
	free(wx);
	free(wy);
	jv_free(t);
	return r;
}

/* ------------------------------------------------------------ text helpers */

char *llm_one_line(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *r = xmalloc(n + 1);
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i])) {
			space = 1;
			continue;
		}
		if (space && o)
			r[o++] = ' ';
		space = 0;
		r[o++] = s[i];
	}
	r[o] = 0;
	return r;
}

int llm_locate(const char *text, const char *needle, size_t from, size_t *start, size_t *end)
{
	size_t tn = strlen(text), nn = strlen(needle);
	if (!nn || from > tn || nn > tn - from)
		return 0;
	const char *p = strstr(text + from, needle);
	if (!p) {
		for (size_t i = from; i + nn <= tn; i++)
			if (!strncasecmp(text + i, needle, nn)) {
				p = text + i;
				break;
			}
	}
	if (!p)
		return 0;
	*start = (size_t)(p - text);
	*end = *start + nn;
	return 1;
}
