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
	MAX_CONTENT = 1 << 20,  /* only the first 1 MiB of an answer is looked at */
	MAX_STARTS = 256,       /* '{' positions tried before giving up */
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

int llm_extract(const char *content, size_t len, llm_validate_fn valid, void *vctx,
                jv *out, char *err, size_t errlen)
{
	if (len > MAX_CONTENT)
		len = MAX_CONTENT;
	char *text = llm_strip_reasoning(content, len);
	size_t n = strlen(text);
	char shape_err[512] = "", parse_err[512] = "";
	int cut = 0, starts = 0, found = 0;
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
		found = 1;
		char e2[512] = "";
		if (!valid || valid(v, vctx, e2, sizeof e2)) {
			*out = v;
			free(text);
			return 1;
		}
		jv_free(v);
		if (!shape_err[0])
			snprintf(shape_err, sizeof shape_err, "%s", e2[0] ? e2 : "unexpected shape");
		i = (size_t)e;  /* the next candidate starts after this object */
	}
	if (found)
		snprintf(err, errlen, "wrong shape: %s", shape_err);
	else if (cut)
		snprintf(err, errlen, "JSON object cut off (the token limit? see --max-tokens)");
	else if (parse_err[0])
		snprintf(err, errlen, "%s", parse_err);
	else if (!n || strspn(text, " \t\r\n") == n)
		snprintf(err, errlen, "empty answer");
	else
		snprintf(err, errlen, "no JSON object in the answer");
	free(text);
	return 0;
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

int llm_validate_shape(jv answer, void *shape, char *err, size_t errlen)
{
	return llm_shape_check(answer, *(jv *)shape, err, errlen);
}

int llm_validate_text(jv answer, void *anchor, char *err, size_t errlen)
{
	jv t = jv_object_get(jv_copy(answer), jv_string("text"));
	int ok = 0;
	if (jv_get_kind(t) != JV_KIND_STRING) {
		if (jv_is_valid(t))
			snprintf(err, errlen, "text: expected string, got %s", kind_name(t));
		else
			snprintf(err, errlen, "text: missing");
	} else if (has_nul(t)) {
		snprintf(err, errlen, "text: holds \\u0000");
	} else if (is_blank_str(t)) {
		snprintf(err, errlen, "text: empty");
	} else if (anchor) {
		const char *a = anchor;
		size_t tn = strlen(jv_string_value(t));
		char *x = llm_one_line(jv_string_value(t)), *y = llm_one_line(a);
		if (tn > 4 * strlen(a) + 200)
			snprintf(err, errlen, "text: %zu bytes, far longer than the sentence", tn);
		else if (!strcmp(x, y))
			snprintf(err, errlen, "text: the same as the sentence");
		else
			ok = 1;
		free(x);
		free(y);
	} else {
		ok = 1;
	}
	jv_free(t);
	return ok;
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
