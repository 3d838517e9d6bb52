/* kgllm.c — an LLM's extraction answer made into record fields; see kgllm.h. */
#include "llm/kgllm.h"
#include "base/cli.h"
#include "llm/llmanswer.h"
#include "base/ndjson.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *kg_llm_types(void)
{
	strbuf b = {0};
	for (int i = 0; i < WN_NLEXFILES; i++) {
		const char *n = wn_lexname(i);
		if (strncmp(n, "noun.", 5) || !strcmp(n, "noun.Tops"))
			continue;
		if (b.len)
			sb_puts(&b, ", ", 2);
		sb_puts(&b, n, strlen(n));
	}
	sb_puts(&b, ", name", 6);
	return b.s;
}

static void copy_trunc(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

int kg_llm_type(const char *t, char *out, size_t cap)
{
	char *c = llm_one_line(t);
	int r = -1;
	char buf[96];
	if (!strcasecmp(c, "name")) {
		copy_trunc(out, cap, "name");
		free(c);
		return KG_TYPE_NAME;
	}
	for (int i = 0; i < WN_NLEXFILES && r < 0; i++) {
		const char *n = wn_lexname(i);
		snprintf(buf, sizeof buf, "noun.%s", c);
		if (!strcasecmp(c, n) || (!strncmp(n, "noun.", 5) && !strcasecmp(buf, n)))
			r = i;
	}
	copy_trunc(out, cap, r >= 0 ? wn_lexname(r) : c);
	free(c);
	return r;
}

int kg_span_head(const kg_analysis *a, int start, int end, int want)
{
	int head = -1, aux = -1, seen = 0;
	for (int t = 0; t < a->ntok; t++) {
		const kg_token *k = &a->tok[t];
		if (k->start < start)
			continue;
		if (k->end > end)
			break;
		int tag = k->tag;
		if (want == 'v') {
			if (tag == KG_VERB)
				head = t;
			else if (tag == KG_AUX || tag == KG_MODAL)
				aux = t;
			continue;
		}
		if (tag == KG_NOUN || tag == KG_NAME || (want == 's' && tag == KG_ADJ)) {
			head = t;
			seen = 1;
		} else if (seen && (tag == KG_PREP || tag == KG_SUB || tag == KG_CONJ || tag == KG_VERB ||
		                    tag == KG_AUX || tag == KG_MODAL || tag == KG_PUNCT || tag == KG_TO))
			break;
	}
	return want == 'v' && head < 0 ? aux : head;
}

/* ---- locating spans ---- */

typedef struct span { int start, end; } span;
typedef struct spans { span *s; int n, cap; } spans;

static void spans_add(spans *l, int s, int e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->s = xrealloc(l->s, (size_t)l->cap * sizeof *l->s);
	}
	l->s[l->n].start = s;
	l->s[l->n].end = e;
	l->n++;
}

static int spans_has(const spans *l, int s, int e)
{
	for (int i = 0; i < l->n; i++)
		if (l->s[i].start == s && l->s[i].end == e)
			return 1;
	return 0;
}

enum { LOC_NONE, LOC_FOUND, LOC_REPEAT };

static int spans_overlap(const spans *l, int s, int e)
{
	for (int i = 0; i < l->n; i++)
		if (s < l->s[i].end && l->s[i].start < e)
			return 1;
	return 0;
}

/* Find needle (trimmed; a trailing full stop or comma may be dropped) in the
 * text: exact occurrences first, then ASCII case-insensitive ones (as
 * llm_locate), each in text order; the first one not in taken (NULL: any);
 * with apart, the first one that overlaps nothing taken if there is one.
 * LOC_REPEAT: it occurs, but every occurrence is taken. */
static int locate_in(const char *text, size_t tn, const char *needle, const spans *taken, int apart,
                     int *s, int *e)
{
	char *n = llm_one_line(needle);
	size_t nl = strlen(n);
	int result = LOC_NONE;
	for (int pass = 0; pass < 2 && result == LOC_NONE; pass++) {
		if (pass == 1) {
			if (nl < 2 || !strchr(".,;:!?", n[nl - 1]))
				break;
			n[--nl] = 0;
		}
		if (!nl || nl > tn)
			break;
		long best = -1;
		int any = 0;
		for (int mode = 0; mode < 2; mode++)
			for (size_t i = 0; i + nl <= tn; i++) {
				int exact = !memcmp(text + i, n, nl);
				if (mode == 0 ? !exact : exact || strncasecmp(text + i, n, nl))
					continue;
				any = 1;
				if (taken && spans_has(taken, (int)i, (int)(i + nl)))
					continue;
				if (best < 0)
					best = (long)i;
				if (!apart || !spans_overlap(taken, (int)i, (int)(i + nl))) {
					best = (long)i;
					goto done;
				}
			}
	done:
		if (best >= 0) {
			*s = (int)best;
			*e = (int)(best + (long)nl);
			result = LOC_FOUND;
		} else if (any)
			result = LOC_REPEAT;
	}
	free(n);
	return result;
}

static int locate(const kg_analysis *a, const char *needle, const spans *taken, int apart, int *s, int *e)
{
	return locate_in(a->text, a->len, needle, taken, apart, s, e);
}

static const char *str_field(jv o, const char *key, jv *keep)
{
	*keep = jv_object_get(jv_copy(o), jv_string(key));
	return jv_get_kind(*keep) == JV_KIND_STRING ? jv_string_value(*keep) : NULL;
}

static jv lemma_text(const kg_analysis *a, const wordnet *wn, int head)
{
	if (head < 0 || a->tok[head].lemma < 0 || a->tok[head].tag == KG_NAME)
		return jv_invalid();
	return jv_string(wn_lemma_at(wn, a->tok[head].lemma)->text);
}

/* The name run that ends at head, inside [start, end). */
static jv name_run(const kg_analysis *a, int head, int start)
{
	int h0 = head;
	while (h0 > 0 && a->tok[h0 - 1].tag == KG_NAME && a->tok[h0 - 1].start >= start)
		h0--;
	return jv_string_sized(a->text + a->tok[h0].start, a->tok[head].end - a->tok[h0].start);
}

typedef struct item { int start, end, order; jv o; } item;

static int item_cmp(const void *x, const void *y)
{
	const item *p = x, *q = y;
	if (p->start != q->start)
		return p->start < q->start ? -1 : 1;
	if (p->end != q->end)
		return p->end > q->end ? -1 : 1;
	return p->order < q->order ? -1 : p->order > q->order;
}

static jv sorted_array(item *it, int n)
{
	qsort(it, (size_t)n, sizeof *it, item_cmp);
	jv arr = jv_array();
	for (int i = 0; i < n; i++)
		arr = jv_array_append(arr, it[i].o);
	return arr;
}

static jv span_obj(const kg_analysis *a, int s, int e)
{
	return jv_object_set(jv_object(), jv_string("text"), jv_string_sized(a->text + s, e - s));
}

static jv with_offsets(jv o, int s, int e)
{
	o = jv_object_set(o, jv_string("start"), jv_number(s));
	return jv_object_set(o, jv_string("end"), jv_number(e));
}

/* A part given as a string (action, state) or as {"text"} (subject). */
static jv part_field(const kg_extractor *x, const kg_analysis *a, jv parts, const char *key,
                     jv *unlocated)
{
	const wordnet *wn = kg_extractor_wordnet(x);
	jv v = jv_object_get(jv_copy(parts), jv_string(key));
	jv keep = jv_invalid(), out = jv_null();
	const char *t = NULL;
	int subject = !strcmp(key, "subject");
	if (subject && jv_get_kind(v) == JV_KIND_OBJECT)
		t = str_field(v, "text", &keep);
	else if (!subject && jv_get_kind(v) == JV_KIND_STRING)
		t = jv_string_value(v);
	int s, e;
	char *blank = t ? llm_one_line(t) : NULL;
	if (blank && *blank) {
		if (locate(a, t, NULL, 0, &s, &e) != LOC_FOUND) {
			*unlocated = jv_array_append(*unlocated, jv_string(t));
		} else if (subject) {
			int h = kg_span_head(a, s, e, 'n');
			out = span_obj(a, s, e);
			jv ty = jv_invalid();
			const char *tys = str_field(v, "type", &ty);
			char tname[96];
			if (tys && *tys) {
				kg_llm_type(tys, tname, sizeof tname);
				out = jv_object_set(out, jv_string("type"), jv_string(tname));
			} else
				out = jv_object_set(out, jv_string("type"), jv_null());
			jv_free(ty);
			jv cnt = jv_object_get(jv_copy(v), jv_string("count"));
			out = jv_object_set(out, jv_string("count"), jv_get_kind(cnt) == JV_KIND_NUMBER ? cnt : jv_null());
			if (jv_get_kind(cnt) != JV_KIND_NUMBER)
				jv_free(cnt);
			jv l = h >= 0 && a->tok[h].tag == KG_NAME ? name_run(a, h, s) : lemma_text(a, wn, h);
			if (jv_is_valid(l))
				out = jv_object_set(out, jv_string("lemma"), l);
			out = with_offsets(out, s, e);
		} else {
			int h = kg_span_head(a, s, e, strcmp(key, "action") ? 's' : 'v');
			out = span_obj(a, s, e);
			jv l = lemma_text(a, wn, h);
			if (jv_is_valid(l))
				out = jv_object_set(out, jv_string("lemma"), l);
			out = with_offsets(out, s, e);
		}
	}
	free(blank);
	jv_free(keep);
	jv_free(v);
	return out;
}

/* An entity of the answer found at [s, en): its type mapped to ours, the
 * lemma of its head noun (not for a name). */
static jv entity_obj(const kg_analysis *a, const wordnet *wn, jv e, int s, int en)
{
	jv ky = jv_invalid();
	const char *ty = str_field(e, "type", &ky);
	char tname[96];
	int type = kg_llm_type(ty ? ty : "", tname, sizeof tname);
	jv_free(ky);
	jv o = span_obj(a, s, en);
	o = jv_object_set(o, jv_string("type"), jv_string(tname));
	o = with_offsets(o, s, en);
	int h = kg_span_head(a, s, en, 'n');
	jv l = type == KG_TYPE_NAME ? jv_invalid() : lemma_text(a, wn, h);
	if (jv_is_valid(l))
		o = jv_object_set(o, jv_string("lemma"), l);
	return o;
}

/* A quantity of the answer found at [s, en): its value (a number, else
 * null) and unit (one line, else null). */
static jv quantity_obj(const kg_analysis *a, jv q, int s, int en)
{
	jv ku = jv_invalid();
	const char *u = str_field(q, "unit", &ku);
	jv o = span_obj(a, s, en);
	jv v = jv_object_get(jv_copy(q), jv_string("value"));
	o = jv_object_set(o, jv_string("value"), jv_get_kind(v) == JV_KIND_NUMBER ? v : jv_null());
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		jv_free(v);
	char *uu = u ? llm_one_line(u) : NULL;
	o = jv_object_set(o, jv_string("unit"), uu && *uu ? jv_string(uu) : jv_null());
	free(uu);
	jv_free(ku);
	return with_offsets(o, s, en);
}

/* The answer's list KEY (entities, or quantities when quantity): each
 * item's text located in the sentence at an occurrence no earlier item of
 * the list holds (quantities: one that overlaps none, if there is one), as
 * an array in sentence order. Texts not found go to *unlocated; texts whose
 * every occurrence is held are counted in *repeated. */
static jv answer_list(const kg_analysis *a, const wordnet *wn, jv answer, const char *key, int quantity,
                      jv *unlocated, int *repeated)
{
	spans taken = {0};
	jv arr = jv_object_get(jv_copy(answer), jv_string(key));
	int n = jv_get_kind(arr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(arr)) : 0;
	item *it = xcalloc((size_t)n + 1, sizeof *it);
	int k = 0;
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(arr), i), kt = jv_invalid();
		const char *t = str_field(e, "text", &kt);
		int s, en, r = t ? locate(a, t, &taken, quantity, &s, &en) : LOC_NONE;
		if (r == LOC_FOUND) {
			spans_add(&taken, s, en);
			it[k].start = s, it[k].end = en, it[k].order = i;
			it[k].o = quantity ? quantity_obj(a, e, s, en) : entity_obj(a, wn, e, s, en);
			k++;
		} else if (r == LOC_REPEAT)
			(*repeated)++;
		else if (t)
			*unlocated = jv_array_append(*unlocated, jv_string(t));
		jv_free(kt);
		jv_free(e);
	}
	jv_free(arr);
	jv out = sorted_array(it, k);
	free(it);
	free(taken.s);
	return out;
}

int kg_llm_fields(const kg_extractor *x, const kg_analysis *a, jv answer, jv *ents, jv *qtys,
                  jv *parts, jv *unlocated)
{
	const wordnet *wn = kg_extractor_wordnet(x);
	int repeated = 0;
	*ents = answer_list(a, wn, answer, "entities", 0, unlocated, &repeated);
	*qtys = answer_list(a, wn, answer, "quantities", 1, unlocated, &repeated);
	/* parts */
	jv P = jv_object_get(jv_copy(answer), jv_string("parts"));
	jv o = jv_object();
	jv th = jv_invalid();
	const char *theme = jv_get_kind(P) == JV_KIND_OBJECT ? str_field(P, "theme", &th) : NULL;
	char *tc = theme ? llm_one_line(theme) : NULL;
	o = jv_object_set(o, jv_string("theme"), tc && *tc ? jv_string(tc) : jv_null());
	free(tc);
	jv_free(th);
	static const char *const keys[] = {"subject", "action", "state"};
	for (int i = 0; i < 3; i++)
		o = jv_object_set(o, jv_string(keys[i]),
		                  jv_get_kind(P) == JV_KIND_OBJECT ? part_field(x, a, P, keys[i], unlocated) : jv_null());
	jv_free(P);
	*parts = o;
	return repeated;
}

/* ---- the answer's check ---- */

/* A span of the answer (v consumed; a non-blank string), counted: found or not. */
static void count_span(const char *text, size_t tn, jv v, int *total, int *missing, char *first, size_t cap)
{
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return;
	}
	char *t = llm_one_line(jv_string_value(v));
	jv_free(v);
	if (*t) {
		int s, e;
		(*total)++;
		if (locate_in(text, tn, t, NULL, 0, &s, &e) == LOC_NONE) {
			if (!(*missing)++)
				snprintf(first, cap, "%s", t);
		}
	}
	free(t);
}

int kg_llm_check(jv answer, void *sentence, char *err, size_t errlen)
{
	const char *text = sentence;
	size_t tn = strlen(text);
	int total = 0, missing = 0;
	char first[80] = "";
	static const char *const lists[] = {"entities", "quantities"};
	for (int l = 0; l < 2; l++) {
		jv arr = jv_object_get(jv_copy(answer), jv_string(lists[l]));
		int n = jv_get_kind(arr) == JV_KIND_ARRAY ? jv_array_length(jv_copy(arr)) : 0;
		for (int i = 0; i < n; i++) {
			jv el = jv_array_get(jv_copy(arr), i);
			if (jv_get_kind(el) == JV_KIND_OBJECT)
				count_span(text, tn, jv_object_get(jv_copy(el), jv_string("text")), &total, &missing,
				           first, sizeof first);
			jv_free(el);
		}
		jv_free(arr);
	}
	jv P = jv_object_get(jv_copy(answer), jv_string("parts"));
	if (jv_get_kind(P) == JV_KIND_OBJECT) {
		jv sub = jv_object_get(jv_copy(P), jv_string("subject"));
		if (jv_get_kind(sub) == JV_KIND_OBJECT)
			count_span(text, tn, jv_object_get(jv_copy(sub), jv_string("text")), &total, &missing,
			           first, sizeof first);
		jv_free(sub);
		count_span(text, tn, jv_object_get(jv_copy(P), jv_string("action")), &total, &missing, first, sizeof first);
		count_span(text, tn, jv_object_get(jv_copy(P), jv_string("state")), &total, &missing, first, sizeof first);
	}
	jv_free(P);
	if (2 * missing > total) {
		snprintf(err, errlen, "%d of its %d spans are not in the sentence (the first: \"%s\")", missing, total,
		         first);
		return LLM_R_SPANS;
	}
	return LLM_R_OK;
}

/* ---- graph nodes ---- */

static int get_int(jv o, const char *key, int *out)
{
	jv v = jv_object_get(jv_copy(o), jv_string(key));
	int ok = jv_get_kind(v) == JV_KIND_NUMBER;
	if (ok)
		*out = (int)jv_number_value(v);
	jv_free(v);
	return ok;
}

/* Node text of the head of [s, e): the lemma, or the name as written. */
static int head_node(const kg_analysis *a, const wordnet *wn, int h, int s, char *out, size_t cap,
                     int *pos, int *lemma)
{
	if (h < 0)
		return 0;
	const kg_token *t = &a->tok[h];
	if (t->tag == KG_NAME) {
		jv r = name_run(a, h, s);
		copy_trunc(out, cap, jv_string_value(r));
		jv_free(r);
		*pos = t->lemma >= 0 ? WN_NOUN : -1;
		*lemma = t->lemma;
		return 1;
	}
	if (t->lemma < 0 || t->pos < 0)
		return 0;
	copy_trunc(out, cap, wn_lemma_at(wn, t->lemma)->text);
	*pos = t->pos;
	*lemma = t->lemma;
	return 1;
}

void kg_llm_add_nodes(kg_graph *g, const wordnet *wn, const kg_analysis *a, jv ents, jv parts)
{
	char buf[512], tname[96];
	int n = jv_get_kind(ents) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ents)) : 0;
	int *seen = xcalloc((size_t)n + 1, sizeof *seen), nseen = 0;
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(ents), i), kt = jv_invalid();
		int s, en, pos, lemma;
		const char *ty = str_field(e, "type", &kt);
		if (ty && get_int(e, "start", &s) && get_int(e, "end", &en)) {
			int h = kg_span_head(a, s, en, 'n');
			if (head_node(a, wn, h, s, buf, sizeof buf, &pos, &lemma)) {
				copy_trunc(tname, sizeof tname, ty);
				int id = kg_graph_find(g, KG_ENTITY, tname, buf), dup = 0;
				for (int j = 0; j < nseen && id >= 0; j++)
					dup |= seen[j] == id;
				if (!dup)
					seen[nseen++] = kg_graph_add(g, KG_ENTITY, tname, buf, pos, lemma, -1);
			}
		}
		jv_free(kt);
		jv_free(e);
	}
	free(seen);
	if (jv_get_kind(parts) != JV_KIND_OBJECT)
		return;
	jv th = jv_invalid();
	const char *tt = str_field(parts, "theme", &th);
	int theme = tt ? kg_llm_type(tt, tname, sizeof tname) : -1;
	if (theme == KG_TYPE_NAME)
		theme = -1;
	jv_free(th);
	static const char *const roles[] = {"subject", "action", "state"};
	static const int want[] = {'n', 'v', 's'};
	for (int r = 0; r < 3; r++) {
		jv p = jv_object_get(jv_copy(parts), jv_string(roles[r]));
		int s, en, pos, lemma;
		if (jv_get_kind(p) == JV_KIND_OBJECT && get_int(p, "start", &s) && get_int(p, "end", &en)) {
			int h = kg_span_head(a, s, en, want[r]);
			if (head_node(a, wn, h, s, buf, sizeof buf, &pos, &lemma))
				kg_graph_add(g, KG_PART, roles[r], buf, pos, lemma, theme);
		}
		jv_free(p);
	}
}
