/* synth.c — rule-based positives and negatives; see synth.h. */
#include "kg/synth.h"
#include "base/cli.h"
#include "base/ndjson.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[KG_NKINDS] = {
	"rewrite", "synonym", "related_swap", "contradiction", "entity_swap", "quantity",
	"gloss", "sense_synonym", "sense_swap", "gloss_swap"};

const char *kg_kind_name(int kind)
{
	return kind >= 0 && kind < KG_NKINDS ? kind_names[kind] : NULL;
}

int kg_kind_role(int kind)
{
	return kind <= KG_RELATED_SWAP || kind == KG_GLOSS || kind == KG_SENSE_SYNONYM ? KG_POSITIVE
	                                                                              : KG_NEGATIVE;
}

struct kg_synth {
	const wordnet *wn;
	kg_graph *g;
	kg_extractor *x;
	kg_analysis *a, *b;
	int lex_built;
	int *lexl[WN_NLEXFILES];  /* common lemmas per lexicographer file (nouns, verbs) */
	int nlexl[WN_NLEXFILES];
	int lem_be, lem_have, lem_do, lem_get;
	kg_candidate *cand;
	int ncand, candcap;
	kg_mix mix[2];            /* the rule path's families per role */
	char *norm_anchor;
};

kg_synth *kg_synth_new(const wordnet *wn, kg_graph *g)
{
	kg_synth *s = xcalloc(1, sizeof *s);
	s->wn = wn;
	s->g = g;
	s->x = kg_extractor_new(wn);
	s->a = kg_analysis_new();
	s->b = kg_analysis_new();
	s->lem_be = wn_lookup(wn, "be", 2);
	s->lem_have = wn_lookup(wn, "have", 4);
	s->lem_do = wn_lookup(wn, "do", 2);
	s->lem_get = wn_lookup(wn, "get", 3);
	char e[160];
	kg_mix_parse(&s->mix[KG_POSITIVE], KG_MIX_POSITIVE, e, sizeof e);
	kg_mix_parse(&s->mix[KG_NEGATIVE], KG_MIX_NEGATIVE, e, sizeof e);
	return s;
}

int kg_mix_parse(kg_mix *m, const char *spec, char *err, size_t errlen)
{
	kg_mix out = {0};
	double total = 0;
	const char *p = spec;
	while (*p) {
		size_t k = strcspn(p, ":,");
		int kind = -1;
		for (int i = 0; i < KG_NKINDS; i++)
			if (strlen(kind_names[i]) == k && !strncmp(p, kind_names[i], k))
				kind = i;
		if (kind < 0) {
			snprintf(err, errlen, "unknown family \"%.*s\" (rewrite, synonym, related_swap, "
			         "contradiction, entity_swap, quantity, gloss, sense_synonym, "
			         "sense_swap, gloss_swap)", (int)k, p);
			return -1;
		}
		for (int i = 0; i < out.n; i++)
			if (out.kind[i] == kind) {
				snprintf(err, errlen, "family %s given twice", kind_names[kind]);
				return -1;
			}
		double share = 1;
		p += k;
		if (*p == ':') {
			char *end;
			share = strtod(p + 1, &end);
			if (end == p + 1 || !(share >= 0 && share <= 1e6)) {
				snprintf(err, errlen, "%s: the share must be a number >= 0", kind_names[kind]);
				return -1;
			}
			p = end;
		}
		out.kind[out.n] = kind;
		out.share[out.n++] = share;
		total += share;
		if (*p == ',')
			p++;
		else if (*p) {
			snprintf(err, errlen, "expected \",\" after %s", kind_names[kind]);
			return -1;
		}
	}
	if (out.n == 0 || !(total > 0)) {
		snprintf(err, errlen, "no family with a share above 0");
		return -1;
	}
	for (int i = 0; i < out.n; i++)
		out.share[i] /= total;
	*m = out;
	return 0;
}

void kg_synth_set_mix(kg_synth *s, int role, const kg_mix *m)
{
	s->mix[role == KG_NEGATIVE] = *m;
}

static void free_cands(kg_synth *s)
{
	for (int i = 0; i < s->ncand; i++)
		free(s->cand[i].text);
	s->ncand = 0;
}

void kg_synth_free(kg_synth *s)
{
	if (!s)
		return;
	free_cands(s);
	free(s->cand);
	for (int i = 0; i < WN_NLEXFILES; i++)
		free(s->lexl[i]);
	kg_analysis_free(s->a);
	kg_analysis_free(s->b);
	kg_extractor_free(s->x);
	free(s->norm_anchor);
	free(s);
}

/* ---- strings ---- */

/* Collapse whitespace and control characters to single spaces; trim. */
static char *clean_line(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t k = 0;
	int sp = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			sp = 1;
			continue;
		}
		if (sp && k)
			o[k++] = ' ';
		sp = 0;
		o[k++] = (char)c;
	}
	o[k] = 0;
	return o;
}

typedef struct edit { int start, end; char *rep; } edit;
typedef struct edset { edit e[16]; int n; } edset;

static void ed_free(edset *es)
{
	for (int i = 0; i < es->n; i++)
		free(es->e[i].rep);
	es->n = 0;
}

static int ed_add(edset *es, int start, int end, const char *rep)
{
	if (es->n == 16)
		return 0;
	for (int i = 0; i < es->n; i++) {
		const edit *e = &es->e[i];
		if (start < e->end && e->start < end)
			return 0;
		if (start == end && end == e->start && e->start == e->end)
			return 0;
	}
	es->e[es->n].start = start;
	es->e[es->n].end = end;
	es->e[es->n].rep = xstrdup(rep);
	es->n++;
	return 1;
}

static int cmp_edit(const void *x, const void *y)
{
	const edit *a = x, *b = y;
	return a->start != b->start ? (a->start < b->start ? -1 : 1) : (a->end < b->end ? -1 : a->end > b->end);
}

static char *ed_apply(const char *text, size_t len, edset *es)
{
	qsort(es->e, (size_t)es->n, sizeof *es->e, cmp_edit);
	strbuf b = {0};
	size_t pos = 0;
	for (int i = 0; i < es->n; i++) {
		const edit *e = &es->e[i];
		if ((size_t)e->start > pos)
			sb_puts(&b, text + pos, (size_t)e->start - pos);
		sb_puts(&b, e->rep, strlen(e->rep));
		pos = (size_t)e->end;
	}
	if (pos < len)
		sb_puts(&b, text + pos, len - pos);
	char *o = clean_line(b.s ? b.s : "", b.len);
	free(b.s);
	return o;
}

/* Start of a token including the blanks before it (for deletions). */
static int del_start(const kg_analysis *a, int t)
{
	return t > 0 ? a->tok[t - 1].end : a->tok[t].start;
}

static int is_all_caps(const char *s, size_t n)
{
	int letters = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (islower(c))
			return 0;
		letters += isupper(c) != 0;
	}
	return letters > 1;
}

/* Copy s into out (cap bytes), truncated on a character boundary. */
static void scopy(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = 0;
}

/* rep in the case of orig: ALL CAPS, Capitalised, or as it is. */
static void match_case(const char *orig, size_t on, const char *rep, char *out, size_t cap)
{
	scopy(out, cap, rep);
	if (!on)
		return;
	if (is_all_caps(orig, on) && on > 1) {
		for (char *p = out; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	} else if (isupper((unsigned char)orig[0]))
		out[0] = (char)toupper((unsigned char)out[0]);
}

static void upper_first(char *s)
{
	if (s[0])
		s[0] = (char)toupper((unsigned char)s[0]);
}

static void lower_first(char *s)
{
	if (s[0] && !(s[1] && isupper((unsigned char)s[1])))
		s[0] = (char)tolower((unsigned char)s[0]);
}

static char *span_dup(const kg_analysis *a, int start, int end)
{
	char *o = xmalloc((size_t)(end - start) + 1);
	memcpy(o, a->text + start, (size_t)(end - start));
	o[end - start] = 0;
	return o;
}

/* "an" before a vowel sound. */
static int wants_an(const char *w)
{
	char l[8] = {0};
	for (int i = 0; i < 7 && w[i]; i++)
		l[i] = (char)tolower((unsigned char)w[i]);
	static const char *const an_h[] = {"hour", "honest", "honor", "honour", "heir", NULL};
	static const char *const a_v[] = {"uni", "use", "usu", "uti", "ure", "eu", "one", "once", "ewe", "uk", NULL};
	for (int i = 0; an_h[i]; i++)
		if (!strncmp(l, an_h[i], strlen(an_h[i])))
			return 1;
	for (int i = 0; a_v[i]; i++)
		if (!strncmp(l, a_v[i], strlen(a_v[i])))
			return 0;
	if (l[0] == '8' || (l[0] == '1' && l[1] == '1' && !isdigit((unsigned char)l[2])) ||
	    (l[0] == '1' && l[1] == '8' && !isdigit((unsigned char)l[2])))
		return 1;
	return strchr("aeiou", l[0]) && l[0];
}

/* Replace token t by word (case matched); fix a preceding a/an. */
static int replace_tok(const kg_analysis *a, edset *es, int t, const char *word)
{
	const kg_token *k = &a->tok[t];
	char cased[512];
	match_case(a->text + k->start, (size_t)(k->end - k->start), word, cased, sizeof cased);
	if (!ed_add(es, k->start, k->end, cased))
		return 0;
	if (t > 0 && (!strcmp(a->tok[t - 1].norm, "a") || !strcmp(a->tok[t - 1].norm, "an")) &&
	    a->tok[t - 1].tag == KG_DET) {
		const kg_token *d = &a->tok[t - 1];
		const char *art = wants_an(word) ? "an" : "a";
		if (strcmp(d->norm, art)) {
			char c2[8];
			match_case(a->text + d->start, (size_t)(d->end - d->start), art, c2, sizeof c2);
			ed_add(es, d->start, d->end, c2);
		}
	}
	return 1;
}

/* ---- inflection ---- */

static void noun_form(const wordnet *wn, const char *lemma, int plural, char *out, size_t cap)
{
	if (!plural || wn_plural(wn, lemma, out, cap) < 0)
		scopy(out, cap, lemma);
}

static void verb_form(const wordnet *wn, const char *lemma, int form, char *out, size_t cap)
{
	if (wn_inflect_verb(wn, lemma, form, out, cap) < 0)
		scopy(out, cap, lemma);
}

/* The word for token t with lemma text l, inflected like t. */
static void inflect_like(const kg_synth *s, const kg_token *t, int pos, const char *l, char *out, size_t cap)
{
	if (pos == WN_NOUN)
		noun_form(s->wn, l, t->tag == KG_NOUN && t->form == 1, out, cap);
	else if (pos == WN_VERB)
		verb_form(s->wn, l, t->form, out, cap);
	else
		scopy(out, cap, l);
}

/* ---- WordNet choices ---- */

static int first_sense(const wordnet *wn, int lemma, int pos, uint32_t *sy)
{
	const uint32_t *sen;
	if (lemma < 0 || pos < 0 || wn_senses(wn, lemma, pos, &sen) == 0)
		return 0;
	*sy = sen[0];
	return 1;
}

static int sense_rank(const wordnet *wn, int lemma, int pos, uint32_t sy)
{
	const uint32_t *sen;
	int n = wn_senses(wn, lemma, pos, &sen);
	for (int i = 0; i < n; i++)
		if (sen[i] == sy)
			return i;
	return -1;
}

static int plain_word(const char *w)
{
	for (const char *p = w; *p; p++)
		if (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '\'')
			return 0;
	return 1;
}

/* In use: tagged at least twice in the sense-tagged corpus. */
static int common(const wordnet *wn, int lemma, int pos)
{
	return wn_lemma_at(wn, lemma)->freq[pos] >= 2;
}

/* A word fit to replace another: lowercase in WordNet (not a proper noun),
 * no digits or dots, no part shorter than three letters ("cu ft"), and, with
 * need_common, in use. The sense kinds take rare words too: the sense, not
 * the word's frequency, makes them right or wrong (bench/quality.md). */
static int fit_word_in(const wordnet *wn, int lemma, int pos, int need_common)
{
	const char *t = wn_lemma_at(wn, lemma)->text;
	if (!plain_word(t) || (need_common && !common(wn, lemma, pos)))
		return 0;
	for (const char *p = t; *p;) {
		const char *e = p;
		while (*e && *e != ' ' && *e != '-')
			e++;
		if (e - p < 3 && strncmp(p, "of", 2) && strncmp(p, "up", 2) && strncmp(p, "on", 2) &&
		    strncmp(p, "in", 2))
			return 0;
		p = *e ? e + 1 : e;
	}
	const uint32_t *sen;
	if (!wn_senses(wn, lemma, pos, &sen))
		return 0;
	const wn_synset *ss = wn_synset_at(wn, sen[0]);
	for (int w = 0; w < ss->nwords; w++) {
		const wn_word *wd = wn_word_at(wn, ss->word0 + (uint32_t)w);
		if (wd->lemma == lemma)
			for (int k = 0; k < wd->len; k++)
				if (isupper((unsigned char)wd->text[k]))
					return 0;
	}
	return 1;
}

/* The same, in use. */
static int fit_word(const wordnet *wn, int lemma, int pos)
{
	return fit_word_in(wn, lemma, pos, 1);
}

/* out[0..n) with l appended unless it is there; the new n (the caller keeps
 * n below the capacity). */
static int add_once(int *out, int n, int l)
{
	for (int i = 0; i < n; i++)
		if (out[i] == l)
			return n;
	out[n] = l;
	return n + 1;
}

/* Append to out[0..n) (at most cap) the words of synset sy other than lemma
 * that are fit to replace it and have sy among their first maxrank + 1
 * senses, each once; the new n. maxrank < 0: any rank, rare words too. */
static int synset_words(const wordnet *wn, uint32_t sy, int lemma, int pos, int maxrank, int *out,
                        int n, int cap)
{
	const wn_synset *ss = wn_synset_at(wn, sy);
	for (int w = 0; w < ss->nwords && n < cap; w++) {
		int l = wn_word_at(wn, ss->word0 + (uint32_t)w)->lemma;
		if (l == lemma || !fit_word_in(wn, l, pos, maxrank >= 0))
			continue;
		if (maxrank >= 0) {
			int rk = sense_rank(wn, l, pos, sy);
			if (rk < 0 || rk > maxrank)
				continue;
		}
		n = add_once(out, n, l);
	}
	return n;
}

/* Synonyms of an open-class token: the other words of its first sense that
 * have that sense among their first two and are in use (tag counts > 0). */
static int synonyms(const kg_synth *s, int lemma, int pos, int *out, int cap)
{
	uint32_t sy;
	if (!first_sense(s->wn, lemma, pos, &sy))
		return 0;
	return synset_words(s->wn, sy, lemma, pos, 1, out, 0, cap);
}

/* WordNet neighbours (no graph): lemmas of related synsets whose dominant
 * sense that synset is, in use, best first. */
static int wn_neighbours(const kg_synth *s, int lemma, int pos, int *out, int cap)
{
	const wordnet *wn = s->wn;
	uint32_t sy;
	if (!first_sense(wn, lemma, pos, &sy))
		return 0;
	wn_scored rel[512];
	int n = 0;
	/* siblings, the hypernym and hyponyms first; cousins only without them */
	for (int up = 1; up <= 2 && n == 0; up++) {
		int nr = wn_related(wn, sy, up, rel, 512);
		for (int i = 0; i < nr && n < cap; i++)
			if (rel[i].synset != sy)   /* words whose first sense it is */
				n = synset_words(wn, rel[i].synset, lemma, pos, 0, out, n, cap);
	}
	return n;
}

/* Antonyms in use. */
static int antonyms(const kg_synth *s, int lemma, int pos, int *out, int cap)
{
	int tmp[16];
	int k = wn_antonyms(s->wn, lemma, pos, 1, tmp, 16), n = 0;
	for (int i = 0; i < k && n < cap; i++)
		if (fit_word(s->wn, tmp[i], pos))
			out[n++] = tmp[i];
	return n;
}

static void build_lex(kg_synth *s)
{
	if (s->lex_built)
		return;
	s->lex_built = 1;
	const wordnet *wn = s->wn;
	int cap[WN_NLEXFILES] = {0};
	for (int l = 0; l < wn_nlemmas(wn); l++) {
		const wn_lemma *L = wn_lemma_at(wn, l);
		if (!plain_word(L->text) || strchr(L->text, ' ') || strchr(L->text, '-'))
			continue;
		for (int pos = WN_NOUN; pos <= WN_VERB; pos++) {
			uint32_t sy;
			if (L->freq[pos] < 3 || !first_sense(wn, l, pos, &sy) || !fit_word(wn, l, pos))
				continue;
			int lf = wn_synset_at(wn, sy)->lexfile;
			if (s->nlexl[lf] == cap[lf]) {
				cap[lf] = cap[lf] ? cap[lf] * 2 : 64;
				s->lexl[lf] = xrealloc(s->lexl[lf], (size_t)cap[lf] * sizeof *s->lexl[lf]);
			}
			s->lexl[lf][s->nlexl[lf]++] = l;
		}
	}
}

/* ---- analysis helpers ---- */

static int content_end(const kg_analysis *a)
{
	int e = a->ntok;
	while (e > 0 && a->tok[e - 1].tag == KG_PUNCT)
		e--;
	return e;
}

static int content_start(const kg_analysis *a)
{
	int b = 0;
	while (b < a->ntok && a->tok[b].tag == KG_PUNCT)
		b++;
	return b;
}

static int lexical_verb(const kg_synth *s, const kg_token *t)
{
	return t->tag == KG_VERB && t->lemma >= 0 && t->lemma != s->lem_be && t->lemma != s->lem_have &&
	       t->lemma != s->lem_do;
}

static int open_word(const kg_synth *s, const kg_token *t)
{
	if (t->closed || t->lemma < 0 || t->pos < 0)
		return 0;
	if (t->tag == KG_VERB)
		return lexical_verb(s, t);
	return t->tag == KG_NOUN || t->tag == KG_ADJ || t->tag == KG_ADV;
}

/* The candidate's first letter follows the anchor's (WordNet examples start
 * in lowercase, most corpora in uppercase). */
static void first_case_like(const kg_analysis *a, char *out, int is_name)
{
	int cs = content_start(a);
	if (cs >= a->ntok || !out[0])
		return;
	unsigned char c = (unsigned char)a->text[a->tok[cs].start];
	if (isupper(c))
		upper_first(out);
	else if (islower(c) && !is_name)
		lower_first(out);
}

static int np_tag(int tg)
{
	return tg == KG_DET || tg == KG_POSS || tg == KG_ADJ || tg == KG_NUM || tg == KG_NOUN ||
	       tg == KG_NAME;
}

/* Is token t a name or "I" (keeps its capital when moved)? */
static int keeps_capital(const kg_analysis *a, int t)
{
	return a->tok[t].tag == KG_NAME || !strcmp(a->tok[t].norm, "i") ||
	       is_all_caps(a->text + a->tok[t].start, (size_t)(a->tok[t].end - a->tok[t].start));
}

/* ---- word substitutions: synonym, antonym ---- */

typedef int (*alt_fn)(const kg_synth *, int lemma, int pos, int *out, int cap);

/* Replace a random open word among the first maxcand that have
 * alternatives (up to maxalt of alts()) by a random one of them, inflected
 * like it. */
static int swap_word(kg_synth *s, const kg_analysis *a, rng *r, edset *es, alt_fn alts, int maxcand,
                     int maxalt)
{
	int cand[256], alt[8], nc = 0;
	for (int t = 0; t < a->ntok && nc < maxcand; t++)
		if (open_word(s, &a->tok[t]) && alts(s, a->tok[t].lemma, a->tok[t].pos, alt, maxalt) > 0)
			cand[nc++] = t;
	if (!nc)
		return 0;
	int t = cand[rng_below(r, (uint64_t)nc)];
	const kg_token *k = &a->tok[t];
	int na = alts(s, k->lemma, k->pos, alt, maxalt);
	char w[256];
	inflect_like(s, k, k->pos, wn_lemma_at(s->wn, alt[rng_below(r, (uint64_t)na)])->text, w, sizeof w);
	return replace_tok(a, es, t, w);
}

static int do_synonym(kg_synth *s, const kg_analysis *a, rng *r, edset *es)
{
	return swap_word(s, a, r, es, synonyms, 256, 8);
}

/* ---- positives and negatives from a word's senses: gloss, sense_swap, gloss_swap ---- */

/* t without the characters of set at either end. */
static wn_text trim_text(wn_text t, const char *set)
{
	while (t.len && strchr(set, t.s[0]))
		t.s++, t.len--;
	while (t.len && strchr(set, t.s[t.len - 1]))
		t.len--;
	return t;
}

/* The sentence as is_example compares it: trimmed of blanks and of the
 * ";:," left around WordNet's examples. */
static wn_text example_text(const kg_analysis *a)
{
	return trim_text((wn_text){a->text, a->len}, " \t\r\n;:,");
}

/* Is the example ex (as its gloss quotes it) the sentence sent
 * (example_text)? */
static int is_example(const wn_text *ex, wn_text sent)
{
	wn_text e = trim_text(*ex, " \t;:,");
	return e.len == sent.len && e.len && !memcmp(e.s, sent.s, e.len);
}

/* A word of the sentence read in one of its senses. */
typedef struct word_sense {
	int lemma, pos;
	uint32_t sy;
} word_sense;

/* Does one of the senses of lemma as pos have the sentence sent
 * (example_text) among its examples? That sense in ws. */
static int example_sense(const kg_synth *s, wn_text sent, int lemma, int pos, word_sense *ws)
{
	const uint32_t *sen;
	int n = lemma >= 0 ? wn_senses(s->wn, lemma, pos, &sen) : 0;
	for (int i = 0; i < n; i++) {
		wn_text ex[32];
		int ne = wn_examples(s->wn, sen[i], ex, 32);
		for (int j = 0; j < ne; j++)
			if (is_example(&ex[j], sent)) {
				*ws = (word_sense){lemma, pos, sen[i]};
				return 1;
			}
	}
	return 0;
}

/* The sense of token t in the sentence: the sense whose examples hold the
 * sentence (WordNet's example sentences say which sense of which word they
 * show), as the tagger's part of speech or, where the tagger read the word
 * otherwise, as any base form of another; else, for an open word, its
 * first (most frequent) sense. Returns 2 for a sense read from an example,
 * 1 for the first sense, 0 for none. */
static int token_sense(const kg_synth *s, const kg_analysis *a, wn_text sent, int t, word_sense *ws)
{
	const kg_token *k = &a->tok[t];
	if (k->closed)
		return 0;
	if (k->lemma >= 0 && k->pos >= 0 && example_sense(s, sent, k->lemma, k->pos, ws))
		return 2;
	if (!isalpha((unsigned char)a->text[k->start]))
		return 0;
	for (int pos = 0; pos < WN_NPOS; pos++) {
		int base[8], nb = wn_morphy(s->wn, a->text + k->start, (size_t)(k->end - k->start), pos, base, 8);
		for (int i = 0; i < nb; i++)
			if ((base[i] != k->lemma || pos != k->pos) && example_sense(s, sent, base[i], pos, ws))
				return 2;
	}
	if (!open_word(s, k) || !first_sense(s->wn, k->lemma, k->pos, &ws->sy))
		return 0;
	ws->lemma = k->lemma, ws->pos = k->pos;
	return 1;
}

static int synset_has(const wordnet *wn, uint32_t sy, int lemma)
{
	const wn_synset *ss = wn_synset_at(wn, sy);
	for (int w = 0; w < ss->nwords; w++)
		if (wn_word_at(wn, ss->word0 + (uint32_t)w)->lemma == lemma)
			return 1;
	return 0;
}

/* Words of the word's senses other than ws's, fit to replace it (rare ones
 * too) and not words of ws's sense (so never a synonym in the sentence's
 * sense), each once. */
static int other_sense_words(const kg_synth *s, const word_sense *ws, int *out, int cap)
{
	const wordnet *wn = s->wn;
	const uint32_t *sen;
	uint32_t sy = ws->sy;
	int ns = wn_senses(wn, ws->lemma, ws->pos, &sen), n = 0;
	for (int i = 0; i < ns && n < cap; i++) {
		if (sen[i] == sy)
			continue;
		const wn_synset *ss = wn_synset_at(wn, sen[i]);
		for (int w = 0; w < ss->nwords && n < cap; w++) {
			int l = wn_word_at(wn, ss->word0 + (uint32_t)w)->lemma;
			if (l != ws->lemma && fit_word_in(wn, l, ws->pos, 0) && !synset_has(wn, sy, l))
				n = add_once(out, n, l);
		}
	}
	return n;
}

/* Words of ws's own sense fit to replace it, rare ones too (its synonyms in
 * the sentence). */
static int sense_synonyms(const kg_synth *s, const word_sense *ws, int *out, int cap)
{
	return synset_words(s->wn, ws->sy, ws->lemma, ws->pos, -1, out, 0, cap);
}

enum { GLOSS_MAX = 240 };

/* The definition of sense sy as words to put in place of token t: up to
 * its first ';', parenthesised parts left out, blanks collapsed; a leading
 * article dropped after a determiner or a possessive ("the team is a unit"
 * -> "... is a single undivided natural thing ...", not "a a single";
 * "his etiolation" -> "his pale and sickly appearance");
 * for a verb the first word inflected like t ("breathes" -> "draws air
 * into ..."). 0 when nothing is left or it is longer than GLOSS_MAX bytes. */
static int gloss_words(const kg_synth *s, const kg_analysis *a, int t, uint32_t sy, char *out,
                       size_t cap)
{
	wn_text d = wn_definition(s->wn, sy);
	char buf[GLOSS_MAX + 1];
	size_t n = 0;
	int depth = 0;
	for (size_t i = 0; i < d.len && d.s[i] != ';'; i++) {
		char c = d.s[i];
		if (c == '(' || c == ')') {
			depth += c == '(' ? 1 : depth > 0 ? -1 : 0;
			continue;
		}
		if (depth)
			continue;
		if (isspace((unsigned char)c)) {
			if (n && buf[n - 1] != ' ')
				buf[n++] = ' ';
		} else
			buf[n++] = c;
		if (n >= GLOSS_MAX)
			return 0;
	}
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == ','))
		n--;
	buf[n] = 0;
	for (char *p = buf; (p = strstr(p, " ,"));)   /* "determine (terms), in" */
		memmove(p, p + 1, strlen(p));
	char *g = buf;
	if (t > 0 && (a->tok[t - 1].tag == KG_DET || a->tok[t - 1].tag == KG_POSS))
		for (const char *const *art = (const char *const[]){"a ", "an ", "the ", NULL}; *art; art++)
			if (!strncmp(g, *art, strlen(*art))) {
				g += strlen(*art);
				break;
			}
	if (!*g)
		return 0;
	const kg_token *k = &a->tok[t];
	size_t w = strcspn(g, " ,");
	int l = k->tag == KG_VERB && wn_synset_at(s->wn, sy)->pos == WN_VERB && w < 64 ? wn_lookup(s->wn, g, w) : -1;
	if (l >= 0 && wn_lemma_at(s->wn, l)->nsense[WN_VERB] > 0 && k->form != WN_VB) {
		char first[64], infl[96];
		memcpy(first, g, w);
		first[w] = 0;
		verb_form(s->wn, first, k->form, infl, sizeof infl);
		snprintf(out, cap, "%s%s", infl, g + w);
	} else
		scopy(out, cap, g);
	return 1;
}

/* Other senses of the word than ws's whose definition differs from it. */
static int other_glosses(const kg_synth *s, const word_sense *ws, uint32_t *out, int cap)
{
	const uint32_t *sen;
	int ns = wn_senses(s->wn, ws->lemma, ws->pos, &sen), n = 0;
	wn_text d = wn_definition(s->wn, ws->sy);
	for (int i = 0; i < ns && n < cap; i++) {
		wn_text e = wn_definition(s->wn, sen[i]);
		if (sen[i] != ws->sy && e.len && !(e.len == d.len && !memcmp(e.s, d.s, d.len)))
			out[n++] = sen[i];
	}
	return n;
}

/* kind KG_GLOSS (the sense's definition in place of the word),
 * KG_SENSE_SYNONYM (another word of the sense), KG_SENSE_SWAP (a word of
 * another sense) or KG_GLOSS_SWAP (another sense's definition), on the first
 * word whose sense in the sentence WordNet's examples tell and for which the
 * kind applies (so a record's positive and negative are on the same word),
 * else on a random open word, its first sense taken. */
static int do_sense(kg_synth *s, const kg_analysis *a, rng *r, edset *es, int kind, const char **rule)
{
	int cand[256], nc = 0, known = 0, alt[64];
	word_sense cws[256];
	uint32_t osy[64];
	wn_text sent = example_text(a);
	for (int t = 0; t < a->ntok && nc < 256; t++) {
		word_sense ws;
		int how = token_sense(s, a, sent, t, &ws);
		if (!how)
			continue;
		char g[GLOSS_MAX + 64];
		int ok = kind == KG_GLOSS           ? gloss_words(s, a, t, ws.sy, g, sizeof g)
		         : kind == KG_SENSE_SYNONYM ? sense_synonyms(s, &ws, alt, 1) > 0
		         : kind == KG_SENSE_SWAP    ? other_sense_words(s, &ws, alt, 1) > 0
		                                    : other_glosses(s, &ws, osy, 1) > 0;
		if (!ok)
			continue;
		if (how == 2) {   /* the example's word: the one taken, no draw */
			known = 1, cand[0] = t, cws[0] = ws, nc = 1;
			break;
		}
		cand[nc] = t, cws[nc++] = ws;
	}
	if (!nc)
		return 0;
	*rule = known ? "example_sense" : "first_sense";
	int i = known ? 0 : (int)rng_below(r, (uint64_t)nc), t = cand[i];
	const word_sense *ws = &cws[i];
	char w[GLOSS_MAX + 64];
	if (kind == KG_GLOSS) {
		gloss_words(s, a, t, ws->sy, w, sizeof w);
	} else if (kind == KG_SENSE_SYNONYM || kind == KG_SENSE_SWAP) {
		int na = kind == KG_SENSE_SYNONYM ? sense_synonyms(s, ws, alt, 64) : other_sense_words(s, ws, alt, 64);
		const kg_token *k = &a->tok[t];
		const char *l = wn_lemma_at(s->wn, alt[rng_below(r, (uint64_t)na)])->text;
		if ((ws->pos == WN_VERB) == (k->tag == KG_VERB))   /* else the tagger read it otherwise */
			inflect_like(s, k, ws->pos, l, w, sizeof w);
		else
			scopy(w, sizeof w, l);
	} else {
		int no = other_glosses(s, ws, osy, 64);
		if (!gloss_words(s, a, t, osy[rng_below(r, (uint64_t)no)], w, sizeof w))
			return 0;
	}
	return replace_tok(a, es, t, w);
}

/* ---- positives: rewrites ---- */

static const char *const frontable[] = {
	"in", "on", "at", "during", "after", "before", "near", "under", "behind", "inside",
	"outside", "beside", "across", "along", "around", "through", "over", "without", NULL};

static int in_list(const char *const *l, const char *w)
{
	for (int i = 0; l[i]; i++)
		if (!strcmp(l[i], w))
			return 1;
	return 0;
}

/* Is [b, e) a noun phrase (possibly with "of" NP) ending in a noun? */
static int np_run(const kg_analysis *a, int b, int e)
{
	if (b >= e || !(a->tok[e - 1].tag == KG_NOUN || a->tok[e - 1].tag == KG_NAME))
		return 0;
	for (int t = b; t < e; t++) {
		int tg = a->tok[t].tag;
		if (np_tag(tg) || (tg == KG_ADV && t + 1 < e && a->tok[t + 1].tag == KG_ADJ) ||
		    (tg == KG_PREP && !strcmp(a->tok[t].norm, "of") && t > b) ||
		    (tg == KG_PUNCT && !strcmp(a->tok[t].norm, "-") && a->tok[t].glued))
			continue;
		return 0;
	}
	return 1;
}

static char *tail_punct(const kg_analysis *a, int ce)
{
	if (ce >= a->ntok)
		return xstrdup("");
	return span_dup(a, a->tok[ce].start, (int)a->len);
}

static char *rw_front_pp(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)r;
	const kg_parts *P = &a->parts;
	int ce = content_end(a), cs = content_start(a);
	if (P->vg0 < 0)
		return NULL;
	int p = -1;
	if (a->tok[cs].tag == KG_PREP || a->tok[cs].tag == KG_SUB)
		return NULL;
	for (int t = P->vg1; t < ce; t++)
		if (a->tok[t].tag == KG_PREP && in_list(frontable, a->tok[t].norm) && np_run(a, t + 1, ce) &&
		    t > cs)
			p = t;
	if (p < 0 || p <= P->vg0)
		return NULL;
	/* not the complement of "be" ("his opinions are in flux") */
	if (P->state.present && P->state.tok0 == p && P->action.lemma == s->lem_be)
		return NULL;
	/* a place or a time, not an argument of the verb ("barked at the mailman") */
	{
		const kg_token *h = &a->tok[ce - 1];
		static const char *const temporal[] = {"during", "after", "before", NULL};
		int ok = in_list(temporal, a->tok[p].norm) || h->tag == KG_NAME;
		if (!ok && h->tag == KG_NOUN && h->lemma >= 0) {
			uint32_t sy;
			if (first_sense(s->wn, h->lemma, WN_NOUN, &sy)) {
				const char *lx = wn_lexname(wn_synset_at(s->wn, sy)->lexfile);
				ok = !strcmp(lx, "noun.location") || !strcmp(lx, "noun.artifact") ||
				     !strcmp(lx, "noun.object") || !strcmp(lx, "noun.time") ||
				     !strcmp(lx, "noun.event");
			}
		}
		if (!ok)
			return NULL;
	}
	for (int t = cs; t < p; t++)      /* no second clause before it */
		if (!strcmp(a->tok[t].norm, ",") || a->tok[t].tag == KG_SUB)
			return NULL;
	char *pp = span_dup(a, a->tok[p].start, a->tok[ce - 1].end);
	char *rest = span_dup(a, a->tok[cs].start, a->tok[p - 1].end);
	char *tail = tail_punct(a, ce);
	if (!keeps_capital(a, cs))
		lower_first(rest);
	strbuf b = {0};
	sb_puts(&b, pp, strlen(pp));
	sb_puts(&b, ", ", 2);
	sb_puts(&b, rest, strlen(rest));
	sb_puts(&b, tail, strlen(tail));
	sb_putc(&b, 0);
	free(pp);
	free(rest);
	free(tail);
	first_case_like(a, b.s, 0);
	return b.s;
}

static char *rw_back_pp(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s, (void)r;
	const kg_parts *P = &a->parts;
	int ce = content_end(a), cs = content_start(a);
	if (cs >= ce || a->tok[cs].tag != KG_PREP || !in_list(frontable, a->tok[cs].norm) || P->vg0 < 0)
		return NULL;
	int e = cs + 1, noun = 0;
	while (e < ce && (np_tag(a->tok[e].tag) ||
	                  (a->tok[e].tag == KG_ADV && e + 1 < ce && a->tok[e + 1].tag == KG_ADJ))) {
		int tg = a->tok[e].tag;
		if (noun && (tg == KG_DET || tg == KG_POSS || tg == KG_NUM))
			break;            /* "after the fight both men ...": a new phrase */
		noun |= tg == KG_NOUN || tg == KG_NAME;
		e++;
	}
	while (e > cs + 1 && !(a->tok[e - 1].tag == KG_NOUN || a->tok[e - 1].tag == KG_NAME))
		e--;
	if (e <= cs + 1 || !np_run(a, cs + 1, e))
		return NULL;
	int rs = e;
	if (rs < ce && !strcmp(a->tok[rs].norm, ","))
		rs++;
	if (rs >= ce || P->vg0 < rs)
		return NULL;
	for (int t = rs; t < ce; t++)
		if (a->tok[t].tag == KG_SUB && t == rs)
			return NULL;
	char *pp = span_dup(a, a->tok[cs].start, a->tok[e - 1].end);
	char *rest = span_dup(a, a->tok[rs].start, a->tok[ce - 1].end);
	char *tail = tail_punct(a, ce);
	lower_first(pp);
	strbuf b = {0};
	sb_puts(&b, rest, strlen(rest));
	sb_putc(&b, ' ');
	sb_puts(&b, pp, strlen(pp));
	sb_puts(&b, tail, strlen(tail));
	sb_putc(&b, 0);
	first_case_like(a, b.s, keeps_capital(a, rs));
	free(pp);
	free(rest);
	free(tail);
	return b.s;
}

static char *rw_swap_coord(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s;
	int ce = content_end(a), cs = content_start(a);
	int opts[16], no = 0;
	int spans[16][4];
	for (int c = cs + 1; c + 1 < ce && no < 16; c++) {
		if (a->tok[c].tag != KG_CONJ || (strcmp(a->tok[c].norm, "and") && strcmp(a->tok[c].norm, "or")))
			continue;
		int b1 = c;
		while (b1 > cs && (np_tag(a->tok[b1 - 1].tag) ||
		                   (a->tok[b1 - 1].tag == KG_ADV && a->tok[b1].tag == KG_ADJ)))
			b1--;
		int e2 = c + 1;
		while (e2 < ce && (np_tag(a->tok[e2].tag) ||
		                   (a->tok[e2].tag == KG_ADV && e2 + 1 < ce && a->tok[e2 + 1].tag == KG_ADJ)))
			e2++;
		while (e2 > c + 1 && !(a->tok[e2 - 1].tag == KG_NOUN || a->tok[e2 - 1].tag == KG_NAME))
			e2--;
		if (b1 >= c || e2 <= c + 1 || !np_run(a, b1, c) || !np_run(a, c + 1, e2))
			continue;
		if (e2 < a->ntok && (a->tok[e2].tag == KG_NOUN || a->tok[e2].tag == KG_NAME ||
		                     !strcmp(a->tok[e2].norm, "'s")))
			continue;
		spans[no][0] = b1, spans[no][1] = c, spans[no][2] = c + 1, spans[no][3] = e2;
		opts[no] = no;
		no++;
	}
	if (!no)
		return NULL;
	int k = opts[rng_below(r, (uint64_t)no)];
	int b1 = spans[k][0], e1 = spans[k][1], b2 = spans[k][2], e2 = spans[k][3];
	char *x1 = span_dup(a, a->tok[b1].start, a->tok[e1 - 1].end);
	char *x2 = span_dup(a, a->tok[b2].start, a->tok[e2 - 1].end);
	if (!strcmp(x1, x2)) {
		free(x1);
		free(x2);
		return NULL;
	}
	int at_start = b1 == cs;
	if (at_start) {
		if (!keeps_capital(a, b1))
			lower_first(x1);
		if (isupper((unsigned char)a->text[a->tok[b1].start]))
			upper_first(x2);
	}
	edset es = {0};
	ed_add(&es, a->tok[b1].start, a->tok[e1 - 1].end, x2);
	ed_add(&es, a->tok[b2].start, a->tok[e2 - 1].end, x1);
	free(x1);
	free(x2);
	char *o = ed_apply(a->text, a->len, &es);
	ed_free(&es);
	return o;
}

/* A comma, a subordinator or a conjunction among tokens [b, e)? */
static int clause_break(const kg_analysis *a, int b, int e)
{
	for (int t = b; t < e; t++)
		if (!strcmp(a->tok[t].norm, ",") || a->tok[t].tag == KG_SUB || a->tok[t].tag == KG_CONJ)
			return 1;
	return 0;
}

/* The text with word w moved to offset at (a blank after it there when
 * blank_after, else before it), deleted from del0 (its blanks) to its end. */
static char *move_word(const kg_analysis *a, const kg_token *w, int del0, int at, int blank_after)
{
	edset es = {0};
	char *word = span_dup(a, w->start, w->end);
	char ins[300];
	snprintf(ins, sizeof ins, blank_after ? "%s " : " %s", word);
	free(word);
	ed_add(&es, at, at, ins);
	ed_add(&es, del0, w->end, "");
	char *o = ed_apply(a->text, a->len, &es);
	ed_free(&es);
	return o;
}

static char *rw_move_adverb(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s, (void)r;
	const kg_parts *P = &a->parts;
	int ce = content_end(a);
	if (P->vg0 < 0 || !P->action.present)
		return NULL;
	int mv = P->action.head;
	const kg_token *last = &a->tok[ce - 1];
	size_t ll = strlen(last->norm);
	/* "she sighed sadly" -> "she sadly sighed" */
	if (ce - 1 > mv && last->tag == KG_ADV && !last->closed && ll > 4 &&
	    !strcmp(last->norm + ll - 2, "ly") && a->tok[mv].tag == KG_VERB) {
		if (clause_break(a, mv + 1, ce - 1))
			return NULL;
		return move_word(a, last, del_start(a, ce - 1), a->tok[mv].start, 1);
	}
	/* "he quickly ran to the door" -> "he ran to the door quickly" */
	if (mv > 0 && a->tok[mv - 1].tag == KG_ADV && !a->tok[mv - 1].closed && mv - 1 >= P->vg0) {
		const kg_token *ad = &a->tok[mv - 1];
		size_t al = strlen(ad->norm);
		if (al > 4 && !strcmp(ad->norm + al - 2, "ly") && ce - 1 > mv) {
			if (clause_break(a, mv + 1, ce))
				return NULL;
			return move_word(a, ad, del_start(a, mv - 1), a->tok[ce - 1].end, 0);
		}
	}
	return NULL;
}

static char *rw_contraction(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s;
	static const char *const full[][2] = {
		{"is", "isn't"}, {"are", "aren't"}, {"was", "wasn't"}, {"were", "weren't"},
		{"has", "hasn't"}, {"have", "haven't"}, {"had", "hadn't"}, {"do", "don't"},
		{"does", "doesn't"}, {"did", "didn't"}, {"can", "can't"}, {"could", "couldn't"},
		{"will", "won't"}, {"would", "wouldn't"}, {"should", "shouldn't"}, {"must", "mustn't"},
	};
	static const char *const clit[][2] = {
		{"'s", " is"}, {"'re", " are"}, {"'m", " am"}, {"'ve", " have"}, {"'ll", " will"},
		{"'d", " would"}};
	static const char *const pron_aux[][3] = {
		{"i", "am", "'m"}, {"you", "are", "'re"}, {"we", "are", "'re"}, {"they", "are", "'re"},
		{"he", "is", "'s"}, {"she", "is", "'s"}, {"it", "is", "'s"}, {"that", "is", "'s"},
		{"there", "is", "'s"}, {"i", "will", "'ll"}, {"you", "will", "'ll"}, {"we", "will", "'ll"},
		{"they", "will", "'ll"}, {"he", "will", "'ll"}, {"she", "will", "'ll"}, {"i", "have", "'ve"},
		{"we", "have", "'ve"}, {"they", "have", "'ve"}, {"you", "have", "'ve"}};
	edset opts[16];
	int no = 0;
	int ce = content_end(a);
	for (int t = 0; t < a->ntok && no < 16; t++) {
		const kg_token *k = &a->tok[t];
		edset *es = &opts[no];
		es->n = 0;
		if (k->tag == KG_NEG && !strcmp(k->norm, "n't") && t > 0) {
			const kg_token *p = &a->tok[t - 1];
			const char *pn = p->norm;
			char rep[32];
			if (!strcmp(pn, "can") && p->end - p->start == 2) {
				match_case(a->text + p->start, 2, "cannot", rep, sizeof rep);
				ed_add(es, p->start, k->end, rep);
			} else if (!strcmp(pn, "will") && p->end - p->start == 2) {
				match_case(a->text + p->start, 2, "will not", rep, sizeof rep);
				ed_add(es, p->start, k->end, rep);
			} else if (!strcmp(pn, "shall") && p->end - p->start == 3) {
				match_case(a->text + p->start, 3, "shall not", rep, sizeof rep);
				ed_add(es, p->start, k->end, rep);
			} else if (p->end - p->start == 2 && !strncasecmp(a->text + p->start, "ai", 2)) {
				continue;   /* ain't */
			} else
				ed_add(es, k->start, k->end, " not");
			no++;
			continue;
		}
		if ((k->tag == KG_AUX || k->tag == KG_MODAL) && k->norm[0] == '\'' && k->glued) {
			for (size_t c = 0; c < sizeof clit / sizeof *clit; c++)
				if (!strcmp(k->norm, clit[c][0])) {
					ed_add(es, k->start, k->end, clit[c][1]);
					no++;
					break;
				}
			continue;
		}
		if ((k->tag == KG_AUX || k->tag == KG_MODAL) && t + 1 < a->ntok &&
		    !strcmp(a->tok[t + 1].norm, "not") && !a->tok[t + 1].glued) {
			for (size_t c = 0; c < sizeof full / sizeof *full; c++)
				if (!strcmp(k->norm, full[c][0])) {
					char rep[32];
					match_case(a->text + k->start, (size_t)(k->end - k->start), full[c][1], rep, sizeof rep);
					if (is_all_caps(a->text + k->start, (size_t)(k->end - k->start)))
						break;
					ed_add(es, k->start, a->tok[t + 1].end, rep);
					no++;
					break;
				}
			continue;
		}
		if ((k->tag == KG_PRON || k->tag == KG_EX) && t + 1 < ce &&
		    (a->tok[t + 1].tag == KG_AUX || a->tok[t + 1].tag == KG_MODAL) && !a->tok[t + 1].glued &&
		    t + 2 < ce) {
			for (size_t c = 0; c < sizeof pron_aux / sizeof *pron_aux; c++)
				if (!strcmp(k->norm, pron_aux[c][0]) && !strcmp(a->tok[t + 1].norm, pron_aux[c][1])) {
					if (!strcmp(a->tok[t + 2].norm, "not") || a->tok[t + 2].tag == KG_PUNCT)
						break;
					ed_add(es, k->end, a->tok[t + 1].end, pron_aux[c][2]);
					no++;
					break;
				}
		}
	}
	if (!no)
		return NULL;
	int k = (int)rng_below(r, (uint64_t)no);
	char *o = ed_apply(a->text, a->len, &opts[k]);
	for (int i = 0; i < no; i++)
		ed_free(&opts[i]);
	return o;
}

static const char *object_pronoun(const char *p)
{
	static const char *const m[][2] = {
		{"i", "me"}, {"he", "him"}, {"she", "her"}, {"we", "us"}, {"they", "them"},
		{"it", "it"}, {"you", "you"}, {"someone", "someone"}, {"somebody", "somebody"},
		{"everyone", "everyone"}, {"everybody", "everybody"}, {"nobody", "nobody"},
		{"something", "something"}, {"everything", "everything"}, {"nothing", "nothing"}};
	for (size_t i = 0; i < sizeof m / sizeof *m; i++)
		if (!strcmp(m[i][0], p))
			return m[i][1];
	return NULL;
}

static char *rw_passive(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)r;
	const kg_parts *P = &a->parts;
	static const char *const stative[] = {
		"have", "be", "get", "become", "seem", "resemble", "cost", "weigh", "lack", "fit",
		"suit", "mean", "equal", "contain", "involve", "deserve", "go", "come", "look",
		"feel", "sound", "taste", "smell", "remain", "stay", "appear", "last", NULL};
	int cs = content_start(a);
	if (!P->subject.present || !P->action.present || !P->state.present || P->negated ||
	    P->existential || P->vg1 - P->vg0 != 1)
		return NULL;
	const kg_token *v = &a->tok[P->vg0];
	if (!lexical_verb(s, v) || !(v->form == WN_VBZ || v->form == WN_VBD ||
	                             (v->form == WN_VB && P->plural)))
		return NULL;
	const char *lt = wn_lemma_at(s->wn, v->lemma)->text;
	if (in_list(stative, lt) || P->subject.tok0 != cs || P->subject.tok1 != P->vg0)
		return NULL;
	const kg_part *o = &P->state;
	if (o->tok0 != P->vg1 || o->pos != WN_NOUN || a->tok[o->tok0].tag == KG_PREP)
		return NULL;
	if (o->tok1 < a->ntok) {
		const kg_token *nx = &a->tok[o->tok1];
		int tg = nx->tag;
		if (np_tag(tg) || tg == KG_PRON || !strcmp(nx->norm, "'s") || !strcmp(nx->norm, "of") ||
		    (nx->glued && !strcmp(nx->norm, "'")))
			return NULL;
	}
	const kg_token *oh = &a->tok[o->head];
	int oplural = oh->tag == KG_NOUN && oh->form == 1;
	const char *be = v->form == WN_VBD ? (oplural ? "were" : "was") : (oplural ? "are" : "is");
	char part[256];
	verb_form(s->wn, lt, WN_VBN, part, sizeof part);
	char *subj;
	const kg_token *sh = &a->tok[P->subject.tok0];
	if (P->subject.tok1 - P->subject.tok0 == 1 && sh->tag == KG_PRON) {
		const char *op = object_pronoun(sh->norm);
		if (!op)
			return NULL;
		subj = xstrdup(op);
	} else {
		subj = span_dup(a, P->subject.start, P->subject.end);
		if (!keeps_capital(a, P->subject.tok0))
			lower_first(subj);
	}
	char *obj = span_dup(a, o->start, o->end);
	strbuf b = {0};
	sb_puts(&b, obj, strlen(obj));
	char mid[600];
	snprintf(mid, sizeof mid, " %s %s by ", be, part);
	sb_puts(&b, mid, strlen(mid));
	sb_puts(&b, subj, strlen(subj));
	if (o->tok1 < a->ntok) {
		const kg_token *n = &a->tok[o->tok1];
		if (!n->glued)
			sb_putc(&b, ' ');
		sb_puts(&b, a->text + n->start, a->len - (size_t)n->start);
	}
	sb_putc(&b, 0);
	free(obj);
	free(subj);
	first_case_like(a, b.s, keeps_capital(a, o->tok0));
	char *out = clean_line(b.s, strlen(b.s));
	free(b.s);
	return out;
}

static char *rw_condense(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s;
	static const char *const intens[] = {
		"very", "really", "quite", "just", "actually", "simply", "truly", "indeed", NULL};
	int opts[16], no = 0;
	for (int t = 0; t + 1 < a->ntok && no < 16; t++)
		if (a->tok[t].tag == KG_ADV && in_list(intens, a->tok[t].norm) &&
		    (a->tok[t + 1].tag == KG_ADJ || a->tok[t + 1].tag == KG_ADV || a->tok[t + 1].tag == KG_VERB) &&
		    t > content_start(a))
			opts[no++] = t;
	if (!no)
		return NULL;
	int t = opts[rng_below(r, (uint64_t)no)];
	edset es = {0};
	ed_add(&es, del_start(a, t), a->tok[t].end, "");
	char *o = ed_apply(a->text, a->len, &es);
	ed_free(&es);
	return o;
}

static char *rw_frame(kg_synth *s, const kg_analysis *a, rng *r)
{
	(void)s;
	static const char *const frames[] = {"In fact, ", "As it happens, ", "Indeed, "};
	int cs = content_start(a);
	if (a->parts.vg0 < 0 || cs >= a->ntok || cs != 0)
		return NULL;
	char *rest = span_dup(a, a->tok[cs].start, (int)a->len);
	if (!keeps_capital(a, cs))
		lower_first(rest);
	const char *f = frames[rng_below(r, 3)];
	strbuf b = {0};
	sb_puts(&b, f, strlen(f));
	sb_puts(&b, rest, strlen(rest));
	sb_putc(&b, 0);
	free(rest);
	first_case_like(a, b.s, 0);
	return b.s;
}

typedef char *(*rewrite_fn)(kg_synth *, const kg_analysis *, rng *);
static const struct { const char *name; rewrite_fn fn; } rewrites[] = {
	{"front_pp", rw_front_pp}, {"back_pp", rw_back_pp}, {"swap_coord", rw_swap_coord},
	{"move_adverb", rw_move_adverb}, {"contraction", rw_contraction}, {"passive", rw_passive},
	{"condense", rw_condense},
};
enum { NREWRITES = sizeof rewrites / sizeof *rewrites };

static char *do_rewrite(kg_synth *s, const char *text, size_t len, rng *r, const char **rule)
{
	/* maybe a synonym first, then a structural rewrite of the result */
	char *base = NULL;
	if (rng_uniform_double(r) < 0.5) {
		edset es = {0};
		if (do_synonym(s, s->a, r, &es))
			base = ed_apply(text, len, &es);
		ed_free(&es);
	}
	const kg_analysis *a = s->a;
	if (base) {
		kg_analyze(s->x, base, strlen(base), s->b);
		a = s->b;
	}
	int order[NREWRITES];
	for (int i = 0; i < NREWRITES; i++)
		order[i] = i;
	for (int i = NREWRITES - 1; i > 0; i--) {
		int j = (int)rng_below(r, (uint64_t)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < NREWRITES; i++) {
		char *o = rewrites[order[i]].fn(s, a, r);
		if (o) {
			*rule = rewrites[order[i]].name;
			free(base);
			return o;
		}
	}
	/* no structure to rework: a synonym substitution alone is the better
	 * positive (the synonym family); a discourse frame only without one */
	char *o = NULL;
	if (!base) {
		edset es = {0};
		int syn = do_synonym(s, s->a, r, &es);
		ed_free(&es);
		if (!syn && (o = rw_frame(s, a, r)))
			*rule = "frame";
	}
	free(base);
	return o;
}

/* ---- related / random swaps ---- */

typedef struct target {
	int tok;               /* head token */
	int t0;                /* first token of a name run (names), else tok */
	int pos;               /* WordNet pos of the head, or -1 for names */
	int kind;              /* KG_ENTITY or KG_PART */
	const char *group;     /* type or role */
	int lexfile;           /* for WordNet random picks */
} target;

static int targets(kg_synth *s, const kg_analysis *a, target *out, int cap, int parts, int entities)
{
	int n = 0;
	if (entities)
		for (int k = 0; k < a->nent && n < cap; k++) {
			const kg_entity *e = &a->ent[k];
			const kg_token *h = &a->tok[e->head];
			int dup = 0;
			for (int i = 0; i < n; i++)
				dup |= out[i].tok == e->head;
			if (dup)
				continue;
			target t = {e->head, e->head, WN_NOUN, KG_ENTITY, kg_type_name(e->type), e->type};
			if (e->type == KG_TYPE_NAME) {
				t.pos = -1;
				while (t.t0 > 0 && a->tok[t.t0 - 1].tag == KG_NAME && a->tok[t.t0 - 1].start >= e->start)
					t.t0--;
				t.lexfile = -1;
			} else if (h->tag != KG_NOUN || h->lemma < 0)
				continue;
			out[n++] = t;
		}
	if (parts) {
		const kg_parts *P = &a->parts;
		if (P->action.present && n < cap && lexical_verb(s, &a->tok[P->action.head])) {
			const kg_token *h = &a->tok[P->action.head];
			uint32_t sy;
			out[n++] = (target){P->action.head, P->action.head, WN_VERB, KG_PART, "action",
			                    first_sense(s->wn, h->lemma, WN_VERB, &sy) ? wn_synset_at(s->wn, sy)->lexfile : -1};
		}
		if (P->subject.present && n < cap && a->tok[P->subject.head].tag == KG_NOUN &&
		    a->tok[P->subject.head].lemma >= 0)
			out[n++] = (target){P->subject.head, P->subject.head, WN_NOUN, KG_PART, "subject", P->subject.type};
		if (P->state.present && n < cap && P->state.lemma >= 0 &&
		    (a->tok[P->state.head].tag == KG_ADJ || a->tok[P->state.head].tag == KG_NOUN) &&
		    !a->tok[P->state.head].closed)
			out[n++] = (target){P->state.head, P->state.head, P->state.pos, KG_PART, "state", P->state.type};
	}
	return n;
}

static void shuffle_targets(target *t, int n, rng *r)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)rng_below(r, (uint64_t)i + 1);
		target x = t[i];
		t[i] = t[j];
		t[j] = x;
	}
}

/* The node text of a target. */
static void target_node(const kg_synth *s, const kg_analysis *a, const target *t, char *out, size_t cap)
{
	if (t->pos < 0)
		snprintf(out, cap, "%.*s", a->tok[t->tok].end - a->tok[t->t0].start, a->text + a->tok[t->t0].start);
	else
		scopy(out, cap, wn_lemma_at(s->wn, a->tok[t->tok].lemma)->text);
}

/* Is a graph node text usable in place of the target? (names: anything;
 * WordNet words: a lemma of the same pos.) Returns the lemma or -2 for names. */
static int usable(const kg_synth *s, const target *t, const char *text)
{
	if (t->pos < 0)
		return -2;
	int l = wn_lookup(s->wn, text, strlen(text));
	const uint32_t *sen;
	if (l < 0 || !wn_senses(s->wn, l, t->pos, &sen) || !fit_word(s->wn, l, t->pos))
		return -1;
	return l;
}

static int apply_swap(kg_synth *s, const kg_analysis *a, const target *t, const char *text, edset *es)
{
	const kg_token *h = &a->tok[t->tok];
	if (t->pos < 0) {
		/* a name run: the name as it is */
		if (!ed_add(es, a->tok[t->t0].start, h->end, text))
			return 0;
		return 1;
	}
	/* not a name: a WordNet word (usable() checked it). Graph nodes keep
	 * the case of the sentence they were first seen in ("Help" for "help");
	 * WordNet's lowercase form is used, and replace_tok capitalises it where
	 * the word it replaces was capitalised (the start of a sentence). */
	int l = wn_lookup(s->wn, text, strlen(text));
	const char *base = l >= 0 ? wn_lemma_at(s->wn, l)->text : text;
	char w[256];
	inflect_like(s, h, t->pos, base, w, sizeof w);
	return replace_tok(a, es, t->tok, w);
}

static int pick_k(rng *r, int n)
{
	/* not the nearest when there is a choice: the k-th of the first five, k >= 2 */
	if (n <= 1)
		return 0;
	int m = n < 5 ? n : 5;
	return 1 + (int)rng_below(r, (uint64_t)(m - 1));
}

static int do_related(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule)
{
	target tg[64];
	int nt = targets(s, a, tg, 64, 1, 1);
	shuffle_targets(tg, nt, r);
	char node[512];
	for (int i = 0; i < nt; i++) {
		const target *t = &tg[i];
		target_node(s, a, t, node, sizeof node);
		if (s->g) {
			int id = kg_graph_find(s->g, t->kind, t->group, node);
			if (id >= 0) {
				const kg_node *nd = kg_graph_node(s->g, id);
				int ok[16], no = 0;
				for (int j = 0; j < nd->nnb && no < 16; j++) {
					const char *nt2 = kg_graph_node(s->g, nd->nb[j].node)->text;
					if (strcmp(nt2, node) && usable(s, t, nt2) != -1)
						ok[no++] = nd->nb[j].node;
				}
				if (no) {
					const char *rep = kg_graph_node(s->g, ok[pick_k(r, no)])->text;
					if (apply_swap(s, a, t, rep, es)) {
						*rule = "graph_neighbor";
						return 1;
					}
				}
			}
		}
		if (t->pos >= 0) {
			int nb[32];
			int n = wn_neighbours(s, a->tok[t->tok].lemma, t->pos, nb, 32);
			if (n) {
				const char *rep = wn_lemma_at(s->wn, nb[pick_k(r, n)])->text;
				if (apply_swap(s, a, t, rep, es)) {
					*rule = "wordnet_neighbor";
					return 1;
				}
			}
		}
	}
	return 0;
}

/* Targets of a random swap (cap >= 1): the entities, and the action ("a
 * random node of the same type" for a main part). */
static int swap_targets(kg_synth *s, const kg_analysis *a, target *tg, int cap)
{
	int nt = targets(s, a, tg, cap, 0, 1);
	const kg_parts *P = &a->parts;
	if (P->action.present && nt < cap && lexical_verb(s, &a->tok[P->action.head])) {
		uint32_t sy;
		const kg_token *h = &a->tok[P->action.head];
		if (first_sense(s->wn, h->lemma, WN_VERB, &sy))
			tg[nt++] = (target){P->action.head, P->action.head, WN_VERB, KG_PART, "action",
			                    wn_synset_at(s->wn, sy)->lexfile};
	}
	return nt;
}

/* A random replacement for target t: a node of its group in the graph, else
 * a common WordNet word of its lexicographer file; *how says which. NULL
 * when neither has two to choose from. */
static const char *random_swap(kg_synth *s, const target *t, rng *r, const char **how)
{
	if (s->g) {
		int gid = kg_graph_group(s->g, t->kind, t->group);
		if (gid >= 0) {
			const int *mem;
			int n = kg_graph_members(s->g, gid, &mem);
			if (n > 1) {
				*how = "graph_random";
				return kg_graph_node(s->g, mem[rng_below(r, (uint64_t)n)])->text;
			}
		}
	}
	if (t->pos >= 0 && t->lexfile >= 0 && t->lexfile < WN_NLEXFILES) {
		build_lex(s);
		int n = s->nlexl[t->lexfile];
		if (n > 1) {
			*how = "wordnet_random";
			return wn_lemma_at(s->wn, s->lexl[t->lexfile][rng_below(r, (uint64_t)n)])->text;
		}
	}
	return NULL;
}

/* Can rep stand in for target t (node text node)? Another text, usable(),
 * and never a synonym or a close relative: usable()'s lemma (>= 0, or -2 for
 * a name), else -1. */
static int random_fits(const kg_synth *s, const kg_analysis *a, const target *t, const char *rep,
                       const char *node)
{
	if (!strcmp(rep, node))
		return -1;
	int l = usable(s, t, rep);
	uint32_t mine, other;
	if (l >= 0 && first_sense(s->wn, a->tok[t->tok].lemma, t->pos, &mine) &&
	    first_sense(s->wn, l, t->pos, &other) && (other == mine || wn_wup(s->wn, mine, other) >= 0.9))
		return -1;
	return l;
}

static int do_entity_swap(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule)
{
	target tg[64];
	int nt = swap_targets(s, a, tg, 64);
	shuffle_targets(tg, nt, r);
	char node[512];
	for (int i = 0; i < nt; i++) {
		const target *t = &tg[i];
		target_node(s, a, t, node, sizeof node);
		for (int attempt = 0; attempt < 8; attempt++) {
			const char *how = NULL;
			const char *rep = random_swap(s, t, r, &how);
			if (!rep)
				break;
			if (random_fits(s, a, t, rep, node) == -1)
				continue;
			if (apply_swap(s, a, t, rep, es)) {
				*rule = how;
				return 1;
			}
			break;
		}
	}
	return 0;
}

/* ---- negatives: contradiction ---- */

static int do_negation(kg_synth *s, const kg_analysis *a, rng *r, edset *es)
{
	(void)r;
	const kg_parts *P = &a->parts;
	if (P->vg0 < 0)
		return 0;
	int v0 = P->vg0, v1 = P->vg1, mv = P->action.present ? P->action.head : -1;
	int neg = -1;
	for (int t = v0; t < v1; t++)
		if (a->tok[t].tag == KG_NEG) {
			neg = t;
			break;
		}
	char buf[512], cased[512];
	if (neg >= 0) {
		const kg_token *n = &a->tok[neg];
		if (!strcmp(n->norm, "never")) {
			match_case(a->text + n->start, (size_t)(n->end - n->start), "always", cased, sizeof cased);
			return ed_add(es, n->start, n->end, cased);
		}
		int aux = neg - 1;
		if (aux >= v0 && a->tok[aux].tag == KG_AUX && a->tok[aux].lemma == s->lem_do && mv > neg &&
		    a->tok[mv].tag == KG_VERB && a->tok[mv].lemma >= 0) {
			/* "does not ride" -> "rides" */
			const kg_token *d = &a->tok[aux];
			int form = d->form == WN_VBZ ? WN_VBZ : d->form == WN_VBD ? WN_VBD : WN_VB;
			verb_form(s->wn, wn_lemma_at(s->wn, a->tok[mv].lemma)->text, form, buf, sizeof buf);
			match_case(a->text + d->start, (size_t)(d->end - d->start), buf, cased, sizeof cased);
			if (!ed_add(es, d->start, a->tok[mv].end, cased))
				return 0;
			return 1;
		}
		if (!strcmp(n->norm, "n't") && aux >= 0) {
			const kg_token *p = &a->tok[aux];
			const char *full = NULL;
			if (p->end - p->start == 2 && !strcmp(p->norm, "can"))
				full = "can";
			else if (p->end - p->start == 2 && !strcmp(p->norm, "will"))
				full = "will";
			else if (p->end - p->start == 3 && !strcmp(p->norm, "shall"))
				full = "shall";
			if (full) {
				match_case(a->text + p->start, (size_t)(p->end - p->start), full, cased, sizeof cased);
				return ed_add(es, p->start, n->end, cased);
			}
			return ed_add(es, n->start, n->end, "");
		}
		return ed_add(es, n->glued ? n->start : del_start(a, neg), n->end, "");
	}
	int first = -1;
	for (int t = v0; t < v1; t++)
		if (a->tok[t].tag == KG_AUX || a->tok[t].tag == KG_MODAL) {
			first = t;
			break;
		}
	if (first >= 0 && first != mv) {
		const kg_token *f = &a->tok[first];
		if (!strcmp(f->norm, "can") && f->end - f->start == 3) {
			match_case(a->text + f->start, 3, "cannot", cased, sizeof cased);
			return ed_add(es, f->start, f->end, cased);
		}
		return ed_add(es, f->end, f->end, " not");
	}
	if (first >= 0 && first == mv && a->tok[mv].tag == KG_AUX) {
		/* copula / auxiliary as the main verb: "is" -> "is not" */
		return ed_add(es, a->tok[mv].end, a->tok[mv].end, " not");
	}
	if (mv < 0 || a->tok[mv].tag != KG_VERB || a->tok[mv].lemma < 0)
		return 0;
	const kg_token *m = &a->tok[mv];
	if (mv > 0 && a->tok[mv - 1].tag == KG_TO) {
		/* an infinitive: "a recipe to follow" -> "a recipe not to follow" */
		const kg_token *to = &a->tok[mv - 1];
		match_case(a->text + to->start, (size_t)(to->end - to->start), "not to", cased, sizeof cased);
		return ed_add(es, to->start, to->end, cased);
	}
	const char *base = wn_lemma_at(s->wn, m->lemma)->text;
	char *orig = span_dup(a, m->start, m->end);
	int form = m->form;
	/* "his change cost him": a base form after a singular noun is a past */
	if (form == WN_VB && P->subject.present && !P->plural && P->subject.type != KG_TYPE_PRONOUN &&
	    a->tok[P->subject.head].tag != KG_PRON && mv > P->subject.tok0)
		form = WN_VBD;
	switch (form) {
	case WN_VBZ: snprintf(buf, sizeof buf, "does not %s", base); break;
	case WN_VBD: snprintf(buf, sizeof buf, "did not %s", base); break;
	case WN_VB: snprintf(buf, sizeof buf, "do not %s", base); break;
	default: snprintf(buf, sizeof buf, "not %s", orig); break;
	}
	free(orig);
	if (form == WN_VB || form == WN_VBZ || form == WN_VBD) {
		/* keep the verb's own case pattern on the auxiliary */
		match_case(a->text + m->start, (size_t)(m->end - m->start), buf, cased, sizeof cased);
		if (is_all_caps(a->text + m->start, (size_t)(m->end - m->start)))
			scopy(cased, sizeof cased, buf);
	} else
		scopy(cased, sizeof cased, buf);
	return ed_add(es, m->start, m->end, cased);
}

static int do_antonym(kg_synth *s, const kg_analysis *a, rng *r, edset *es)
{
	return swap_word(s, a, r, es, antonyms, 64, 4);
}

static int do_contradiction(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule)
{
	int can_neg = a->parts.vg0 >= 0;
	int use_ant = rng_uniform_double(r) < 0.35;
	for (int pass = 0; pass < 2; pass++) {
		int ant = (pass == 0) == use_ant;
		if (ant) {
			if (do_antonym(s, a, r, es)) {
				*rule = "antonym";
				return 1;
			}
		} else if (can_neg) {
			int negated = 0;
			for (int t = a->parts.vg0; t < a->parts.vg1; t++)
				negated |= a->tok[t].tag == KG_NEG;
			if (do_negation(s, a, r, es)) {
				*rule = negated ? "unnegation" : "negation";
				return 1;
			}
		}
		ed_free(es);
	}
	return 0;
}

/* ---- negatives: quantity ---- */

static long draw_count(rng *r)
{
	if (rng_uniform_double(r) < 0.4)
		return (long)rng_below(r, 51);
	return 51 + (long)rng_below(r, 9950);
}

/* A count other than old (old itself only after 100 draws of it). */
static long draw_other_count(rng *r, long old)
{
	long nv;
	int guard = 0;
	do
		nv = draw_count(r);
	while (nv == old && ++guard < 100);
	return nv;
}

/* The head of a subject that has a count to change (a common noun, not a
 * name, a pronoun or a coordination), or NULL. */
static const kg_token *count_subject(const kg_analysis *a)
{
	const kg_parts *P = &a->parts;
	if (!P->subject.present || P->subject.type == KG_TYPE_PRONOUN || P->subject.type == KG_TYPE_NAME ||
	    P->coordinated)
		return NULL;
	const kg_token *h = &a->tok[P->subject.head];
	return h->tag == KG_NOUN && h->lemma >= 0 ? h : NULL;
}

static void format_count(long v, int words, int comma, char *out, size_t cap)
{
	if (words && v <= 20) {
		kg_number_words(v, out, cap);
		return;
	}
	if (comma && v >= 1000)
		snprintf(out, cap, "%ld,%03ld", v / 1000, v % 1000);
	else
		snprintf(out, cap, "%ld", v);
}

/* Subject-verb agreement after a change of the subject's number. */
static void agree(kg_synth *s, const kg_analysis *a, edset *es, int plural)
{
	const kg_parts *P = &a->parts;
	if (P->vg0 < 0)
		return;
	const kg_token *t = &a->tok[P->vg0];
	static const char *const pairs[][2] = {
		{"is", "are"}, {"was", "were"}, {"has", "have"}, {"does", "do"}, {"'s", "'re"}};
	char cased[64];
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		const char *from = pairs[i][plural ? 0 : 1], *to = pairs[i][plural ? 1 : 0];
		if (!strcmp(t->norm, from) && (t->tag == KG_AUX || t->tag == KG_VERB)) {
			if (!strcmp(from, "'s") && t->tag != KG_AUX)
				return;
			match_case(a->text + t->start, (size_t)(t->end - t->start), to, cased, sizeof cased);
			ed_add(es, t->start, t->end, cased);
			return;
		}
	}
	if (t->tag == KG_VERB && t->lemma >= 0 && P->action.head == P->vg0 &&
	    ((plural && t->form == WN_VBZ) || (!plural && t->form == WN_VB))) {
		char w[256];
		verb_form(s->wn, wn_lemma_at(s->wn, t->lemma)->text, plural ? WN_VB : WN_VBZ, w, sizeof w);
		match_case(a->text + t->start, (size_t)(t->end - t->start), w, cased, sizeof cased);
		ed_add(es, t->start, t->end, cased);
	}
}

/* Re-inflect the subject head for a count. */
static int head_number(kg_synth *s, const kg_analysis *a, edset *es, int plural)
{
	const kg_token *h = &a->tok[a->parts.subject.head];
	if (h->tag != KG_NOUN || h->lemma < 0)
		return 0;
	int was = h->form == 1;
	if (was == plural)
		return 1;
	char w[256];
	noun_form(s->wn, wn_lemma_at(s->wn, h->lemma)->text, plural, w, sizeof w);
	char cased[300];
	match_case(a->text + h->start, (size_t)(h->end - h->start), w, cased, sizeof cased);
	return ed_add(es, h->start, h->end, cased);
}

/* The number tokens of a quantity: [b, e). */
static void qty_number(const kg_analysis *a, const kg_quantity *q, int *b, int *e)
{
	int s0 = q->tok0;
	if (a->tok[s0].tag == KG_SYM)
		s0 = q->numtok;
	int j = q->numtok;
	while (j < q->tok1 && (a->tok[j].tag == KG_NUM ||
	                       (!strcmp(a->tok[j].norm, "and") && j + 1 < q->tok1 && a->tok[j + 1].tag == KG_NUM)))
		j++;
	if (j == q->numtok)
		j++;
	*b = s0;
	*e = j;
}

static int do_subject_count(kg_synth *s, const kg_analysis *a, rng *r, edset *es)
{
	const kg_parts *P = &a->parts;
	const kg_token *h = count_subject(a);
	if (!h)
		return 0;
	long old = P->has_count ? (long)P->count : -1;
	long nv = draw_other_count(r, old);
	if (nv == old)
		return 0;
	int plural = nv != 1;
	char num[64], cased[400];
	int t0 = P->subject.tok0;
	const kg_token *d = &a->tok[t0];
	/* "the man's dog": the number goes after the possessive */
	for (int t = P->subject.tok0; t < P->subject.head; t++)
		if (a->tok[t].tag == KG_POSS && !strcmp(a->tok[t].norm, "'s"))
			d = &a->tok[t], t0 = t;
	if (P->count_qty < 0 && !P->has_count && !P->plural)
		return 0;          /* a bare singular: a mass noun ("inflation") */
	if (P->count_qty < 0 && !P->plural && np_tag(d->tag) && d->tag != KG_DET && d->tag != KG_POSS)
		return 0;
	if (P->count_qty >= 0) {
		const kg_quantity *q = &a->qty[P->count_qty];
		int b, e;
		qty_number(a, q, &b, &e);
		int comma = 0;
		for (int t = b; t < e; t++)
			comma |= strchr(a->tok[t].norm, ',') != NULL;
		format_count(nv, q->words, comma, num, sizeof num);
		match_case(a->text + a->tok[b].start, (size_t)(a->tok[b].end - a->tok[b].start), num, cased, sizeof cased);
		if (!ed_add(es, a->tok[b].start, a->tok[e - 1].end, cased))
			return 0;
	} else if (d->tag == KG_DET && (!strcmp(d->norm, "a") || !strcmp(d->norm, "an") ||
	                                !strcmp(d->norm, "each") || !strcmp(d->norm, "every") ||
	                                !strcmp(d->norm, "another") || !strcmp(d->norm, "some") ||
	                                !strcmp(d->norm, "many") || !strcmp(d->norm, "several") ||
	                                !strcmp(d->norm, "few") || !strcmp(d->norm, "all") ||
	                                !strcmp(d->norm, "most") || !strcmp(d->norm, "both") ||
	                                !strcmp(d->norm, "no") || !strcmp(d->norm, "any"))) {
		format_count(nv, 1, 0, num, sizeof num);
		match_case(a->text + d->start, (size_t)(d->end - d->start), num, cased, sizeof cased);
		if (!ed_add(es, d->start, d->end, cased))
			return 0;
	} else if ((d->tag == KG_DET && (!strcmp(d->norm, "the") || !strcmp(d->norm, "this") ||
	                                 !strcmp(d->norm, "that") || !strcmp(d->norm, "these") ||
	                                 !strcmp(d->norm, "those"))) || d->tag == KG_POSS) {
		const char *det = NULL;
		if (!strcmp(d->norm, "this") || !strcmp(d->norm, "these"))
			det = plural ? "these" : "this";
		else if (!strcmp(d->norm, "that") || !strcmp(d->norm, "those"))
			det = plural ? "those" : "that";
		format_count(nv, 1, 0, num, sizeof num);
		char ins[128];
		ins[0] = ' ';
		scopy(ins + 1, sizeof ins - 1, num);
		if (det && strcmp(det, d->norm)) {
			match_case(a->text + d->start, (size_t)(d->end - d->start), det, cased, sizeof cased);
			if (!ed_add(es, d->start, d->end, cased))
				return 0;
		}
		if (!ed_add(es, d->end, d->end, ins))
			return 0;
	} else if (np_tag(d->tag) && d->tag != KG_DET && d->tag != KG_POSS) {
		/* bare noun phrase: put the number in front */
		format_count(nv, 1, 0, num, sizeof num);
		char ins[128];
		int cap = t0 == content_start(a) && isupper((unsigned char)a->text[d->start]) && !keeps_capital(a, t0);
		scopy(ins, sizeof ins - 1, num);
		strcat(ins, " ");
		if (cap) {
			upper_first(ins);
			char *w = span_dup(a, d->start, d->end);
			lower_first(w);
			if (t0 == P->subject.head) {
				free(w);
				/* the head itself is re-inflected below: lower-case it there */
				char hw[256];
				noun_form(s->wn, wn_lemma_at(s->wn, h->lemma)->text, plural, hw, sizeof hw);
				scopy(cased, sizeof cased, ins);
				scopy(cased + strlen(cased), sizeof cased - strlen(cased), hw);
				if (!ed_add(es, d->start, d->end, cased))
					return 0;
				agree(s, a, es, plural);
				return 1;
			}
			char both[400];
			scopy(both, sizeof both, ins);
			scopy(both + strlen(both), sizeof both - strlen(both), w);
			free(w);
			if (!ed_add(es, d->start, d->end, both))
				return 0;
		} else if (!ed_add(es, d->start, d->start, ins))
			return 0;
	} else
		return 0;
	if (!head_number(s, a, es, plural))
		return 0;
	agree(s, a, es, plural);
	return 1;
}

static int do_other_quantity(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule)
{
	(void)s;
	int opts[32], no = 0;
	for (int k = 0; k < a->nqty && no < 32; k++)
		if (a->qty[k].has_value && k != a->parts.count_qty && strcmp(a->qty[k].unit, "time"))
			opts[no++] = k;
	if (!no)
		return 0;
	const kg_quantity *q = &a->qty[opts[rng_below(r, (uint64_t)no)]];
	char num[64], cased[96];
	if (!strcmp(q->unit, "date") || !strcmp(q->unit, "year") || !strcmp(q->unit, "decade")) {
		/* shift the year */
		int yt = -1;
		for (int t = q->tok0; t < q->tok1; t++) {
			int v;
			const char *n = a->tok[t].norm;
			if (a->tok[t].tag == KG_NUM && strlen(n) == 4 && isdigit((unsigned char)n[0]) &&
			    (v = atoi(n)) >= 1000)
				yt = t;
		}
		if (yt < 0)
			return 0;
		long y = atol(a->tok[yt].norm);
		long d = 1 + (long)rng_below(r, 30);
		long ny = rng_below(r, 2) ? y + d : y - d;
		if (!strcmp(q->unit, "decade"))
			ny = ny / 10 * 10 == y ? y + 10 : ny / 10 * 10;
		snprintf(num, sizeof num, "%ld", ny);
		*rule = "date_shift";
		return ed_add(es, a->tok[yt].start, a->tok[yt].end, num);
	}
	int b, e;
	qty_number(a, q, &b, &e);
	long nv = draw_other_count(r, (long)llround(q->value));
	const char *orig = a->tok[b].norm;
	const char *dot = strchr(orig, '.');
	int comma = strchr(orig, ',') != NULL;
	if (dot && a->tok[b].tag == KG_NUM && isdigit((unsigned char)orig[0])) {
		int dec = (int)strlen(dot + 1);
		snprintf(num, sizeof num, "%ld%s", nv, dot);
		if (dec > 0 && comma && nv >= 1000)
			snprintf(num, sizeof num, "%ld,%03ld%s", nv / 1000, nv % 1000, dot);
	} else
		format_count(nv, q->words, comma, num, sizeof num);
	match_case(a->text + a->tok[b].start, (size_t)(a->tok[b].end - a->tok[b].start), num, cased, sizeof cased);
	*rule = "quantity_value";
	return ed_add(es, a->tok[b].start, a->tok[e - 1].end, cased);
}

static int do_quantity(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule)
{
	if (do_subject_count(s, a, r, es)) {
		*rule = "subject_count";
		return 1;
	}
	ed_free(es);
	return do_other_quantity(s, a, r, es, rule);
}

/* ---- driver ---- */

/* The kinds that edit the sentence's tokens and name their own rule. */
typedef int edit_fn(kg_synth *s, const kg_analysis *a, rng *r, edset *es, const char **rule);
static edit_fn *const edit_kind[KG_NKINDS] = {
	[KG_RELATED_SWAP] = do_related, [KG_CONTRADICTION] = do_contradiction,
	[KG_ENTITY_SWAP] = do_entity_swap, [KG_QUANTITY] = do_quantity};

static char *make_kind(kg_synth *s, const char *text, size_t len, int kind, rng *r, const char **rule)
{
	const kg_analysis *a = s->a;
	edset es = {0};
	int ok = 0;
	switch (kind) {
	case KG_REWRITE:
		return do_rewrite(s, text, len, r, rule);
	case KG_SYNONYM:
		ok = do_synonym(s, a, r, &es);
		*rule = "synonym";
		break;
	case KG_GLOSS:
	case KG_SENSE_SYNONYM:
	case KG_SENSE_SWAP:
	case KG_GLOSS_SWAP:
		ok = do_sense(s, a, r, &es, kind, rule);
		break;
	default:
		ok = edit_kind[kind](s, a, r, &es, rule);
	}
	char *o = ok ? ed_apply(text, len, &es) : NULL;
	ed_free(&es);
	return o;
}

/* Every candidate is one clean line. */
static char *make_clean(kg_synth *s, const char *text, size_t len, int kind, rng *r, const char **rule)
{
	char *o = make_kind(s, text, len, kind, r, rule);
	if (!o)
		return NULL;
	char *c = clean_line(o, strlen(o));
	free(o);
	return c;
}

int kg_synth_kind(kg_synth *s, const char *text, size_t len, int kind, rng *r, char **out,
                  const char **rule)
{
	*out = NULL;
	if (kind < 0 || kind >= KG_NKINDS)
		return 0;
	kg_analyze(s->x, text, len, s->a);
	char *anchor = clean_line(text, len);
	const char *ru = NULL;
	char *o = make_clean(s, text, len, kind, r, &ru);
	if (o && (!*o || !strcmp(o, anchor))) {
		free(o);
		o = NULL;
	}
	free(anchor);
	if (!o)
		return 0;
	*out = o;
	if (rule)
		*rule = ru;
	return 1;
}

static uint64_t fnv64(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int seen_text(const kg_synth *s, const char *t)
{
	if (!strcmp(t, s->norm_anchor))
		return 1;
	for (int i = 0; i < s->ncand; i++)
		if (!strcmp(s->cand[i].text, t))
			return 1;
	return 0;
}

static int add_cand(kg_synth *s, char *text, int role, int kind, int planned, const char *rule)
{
	if (s->ncand == s->candcap) {
		s->candcap = s->candcap ? s->candcap * 2 : 8;
		s->cand = xrealloc(s->cand, (size_t)s->candcap * sizeof *s->cand);
	}
	kg_candidate *c = &s->cand[s->ncand++];
	c->text = text;
	c->kind = kind;
	c->planned = planned;
	c->role = role;
	c->rule = rule;
	return 1;
}

/* Try the families in order, a few random draws each, for a new text. */
static int make_one(kg_synth *s, const char *text, size_t len, int role, const int *chain, int nchain,
                    rng *r)
{
	for (int c = 0; c < nchain; c++) {
		for (int attempt = 0; attempt < 4; attempt++) {
			const char *rule = NULL;
			char *o = make_clean(s, text, len, chain[c], r, &rule);
			if (!o)
				break;           /* this family cannot apply */
			if (*o && !seen_text(s, o))
				return add_cand(s, o, role, chain[c], chain[0], rule);
			free(o);
		}
	}
	return 0;
}

int kg_synth_record(kg_synth *s, const char *text, size_t len, uint64_t seed, int n,
                    const kg_candidate **out, int *npos, int *nneg)
{
	free_cands(s);
	free(s->norm_anchor);
	s->norm_anchor = clean_line(text, len);
	kg_analyze(s->x, text, len, s->a);
	rng r;
	rng_seed(&r, rng_derive(seed, fnv64(text, len)));
	int made[2] = {0, 0};
	for (int role = KG_POSITIVE; role <= KG_NEGATIVE; role++) {
		const kg_mix *m = &s->mix[role == KG_NEGATIVE];
		for (int i = 0; i < n; i++) {
			/* the family by the shares; the others of the mix, in its
			 * order, are the fallbacks */
			double u = rng_uniform_double(&r), acc = 0;
			int pick = m->n - 1;
			for (int j = 0; j < m->n; j++) {
				acc += m->share[j];
				if (m->share[j] > 0 && u < acc) {
					pick = j;
					break;
				}
			}
			while (pick > 0 && !(m->share[pick] > 0))
				pick--;
			int chain[KG_NKINDS], nc = 0;
			chain[nc++] = m->kind[pick];
			for (int j = 0; j < m->n; j++)
				if (j != pick)
					chain[nc++] = m->kind[j];
			made[role] += make_one(s, text, len, role, chain, nc, &r);
		}
	}
	int np = made[KG_POSITIVE], nn = made[KG_NEGATIVE];
	if (npos)
		*npos = np;
	if (nneg)
		*nneg = nn;
	*out = s->cand;
	return s->ncand;
}

/* ---- plans for the LLM path ---- */

static const char *const rewrite_styles[] = {
	"a news anchor", "casual speech", "formal writing", "a question", "a condensed note",
	"a children's book", "a scientific report", "a friendly letter", "a travel guide",
	"a school textbook", "a witness statement", "a diary entry",
};
static const char *const contradict_ways[] = {
	"negate the main verb", "make the main action the opposite one", "turn the sentiment around",
	"make the state the opposite", "say that it did not happen or is not so",
	"use the opposite of a key word",
};
enum {
	N_RS = (int)(sizeof rewrite_styles / sizeof *rewrite_styles),
	N_CW = (int)(sizeof contradict_ways / sizeof *contradict_ways),
	/* style index spaces: single styles first, then combinations */
	N_RS_ALL = N_RS + N_RS * (N_RS - 1),
	N_CW_ALL = N_CW + N_CW * N_RS + N_CW * N_RS * (N_RS - 1),
};

const char *kg_prompt_name(int kind)
{
	switch (kind) {
	case KG_REWRITE: return "kgsynth-rewrite";
	case KG_RELATED_SWAP: return "kgsynth-related";
	case KG_CONTRADICTION: return "kgsynth-contradict";
	case KG_ENTITY_SWAP: return "kgsynth-swap";
	case KG_QUANTITY: return "kgsynth-quantity";
	}
	return NULL;
}

/* "A mixed with B" for the j-th ordered pair of distinct styles. */
static void style_pair(int j, char *out, size_t cap)
{
	int x = j / (N_RS - 1), y = j % (N_RS - 1);
	if (y >= x)
		y++;
	snprintf(out, cap, "%s mixed with %s", rewrite_styles[x], rewrite_styles[y]);
}

/* The text of style index idx (contra: the contradiction space). */
static void style_text(int contra, int idx, char *out, size_t cap)
{
	if (!contra) {
		if (idx < N_RS)
			scopy(out, cap, rewrite_styles[idx]);
		else
			style_pair(idx - N_RS, out, cap);
		return;
	}
	if (idx < N_CW) {
		scopy(out, cap, contradict_ways[idx]);
		return;
	}
	idx -= N_CW;
	if (idx < N_CW * N_RS) {
		snprintf(out, cap, "%s, in the style of %s", contradict_ways[idx / N_RS], rewrite_styles[idx % N_RS]);
		return;
	}
	idx -= N_CW * N_RS;
	char pair[112];
	style_pair(idx % (N_RS * (N_RS - 1)), pair, sizeof pair);
	snprintf(out, cap, "%s, in the style of %s", contradict_ways[idx / (N_RS * (N_RS - 1))], pair);
}

/* A style not used before in this record: uniformly among the unused ones
 * of the first tier (single styles, then combinations) that has any. */
static int pick_style(rng *r, int contra, unsigned char *used, char *out, size_t cap)
{
	int tiers[4] = {0, contra ? N_CW : N_RS, contra ? N_CW + N_CW * N_RS : N_RS_ALL, contra ? N_CW_ALL : N_RS_ALL};
	for (int t = 0; t < 3; t++) {
		int free_n = 0;
		for (int i = tiers[t]; i < tiers[t + 1]; i++)
			free_n += !used[i];
		if (!free_n)
			continue;
		int k = (int)rng_below(r, (uint64_t)free_n);
		for (int i = tiers[t]; i < tiers[t + 1]; i++)
			if (!used[i] && k-- == 0) {
				used[i] = 1;
				style_text(contra, i, out, cap);
				return 1;
			}
	}
	return 0;
}

/* Copy a span of the text as one line; 0 if empty or too long. */
static int span_line(const kg_analysis *a, int start, int end, char *out, size_t cap)
{
	char *c = clean_line(a->text + start, (size_t)(end - start));
	size_t n = strlen(c);
	int ok = n > 0 && n < cap;
	if (ok)
		memcpy(out, c, n + 1);
	free(c);
	return ok;
}

/* Target t's node text, and its span in the sentence on one line (old);
 * 0 if that is empty or too long. */
static int target_texts(const kg_synth *s, const kg_analysis *a, const target *t, char *node, size_t ncap,
                        char *old, size_t ocap)
{
	target_node(s, a, t, node, ncap);
	return span_line(a, a->tok[t->t0].start, a->tok[t->tok].end, old, ocap);
}

/* Was this (kind, old, new) already planned for the record? */
static int swap_used(const kg_plan *prev, int nprev, int kind, const char *old, const char *rep)
{
	for (int i = 0; i < nprev; i++)
		if (prev[i].kind == kind && !strcmp(prev[i].old, old) && !strcmp(prev[i].repl, rep))
			return 1;
	return 0;
}

static int set_swap(kg_plan *p, const kg_plan *prev, int nprev, int kind, const char *old, const char *rep)
{
	size_t n = strlen(rep);
	if (!n || n >= sizeof p->repl || swap_used(prev, nprev, kind, old, rep))
		return 0;
	scopy(p->old, sizeof p->old, old);
	memcpy(p->repl, rep, n + 1);
	return 1;
}

static int plan_related(kg_synth *s, const kg_analysis *a, rng *r, kg_plan *p, const kg_plan *prev, int nprev)
{
	target tg[64];
	int nt = targets(s, a, tg, 64, 1, 1);
	shuffle_targets(tg, nt, r);
	char node[512], old[KG_SPAN_MAX];
	for (int i = 0; i < nt; i++) {
		const target *t = &tg[i];
		if (!target_texts(s, a, t, node, sizeof node, old, sizeof old))
			continue;
		const char *opt[32];
		int no = 0;
		if (s->g) {
			int id = kg_graph_find(s->g, t->kind, t->group, node);
			if (id >= 0) {
				const kg_node *nd = kg_graph_node(s->g, id);
				for (int j = 0; j < nd->nnb && no < 16; j++) {
					const char *nt2 = kg_graph_node(s->g, nd->nb[j].node)->text;
					int l = strcmp(nt2, node) ? usable(s, t, nt2) : -1;
					/* a WordNet word as WordNet writes it ("help", not a
					 * sentence-initial "Help" of the graph) */
					const char *rt = l >= 0 ? wn_lemma_at(s->wn, l)->text : nt2;
					if (l != -1 && strcmp(rt, node))
						opt[no++] = rt;
				}
			}
		}
		if (!no && t->pos >= 0) {
			int nb[32];
			int m = wn_neighbours(s, a->tok[t->tok].lemma, t->pos, nb, 32);
			for (int j = 0; j < m; j++)
				opt[no++] = wn_lemma_at(s->wn, nb[j])->text;
		}
		for (int attempt = 0; no && attempt < 4; attempt++)
			if (set_swap(p, prev, nprev, KG_RELATED_SWAP, old, opt[pick_k(r, no)]))
				return 1;
	}
	return 0;
}

static int plan_swap(kg_synth *s, const kg_analysis *a, rng *r, kg_plan *p, const kg_plan *prev, int nprev)
{
	target tg[64];
	int nt = swap_targets(s, a, tg, 64);
	shuffle_targets(tg, nt, r);
	char node[512], old[KG_SPAN_MAX];
	for (int i = 0; i < nt; i++) {
		const target *t = &tg[i];
		if (!target_texts(s, a, t, node, sizeof node, old, sizeof old))
			continue;
		for (int attempt = 0; attempt < 8; attempt++) {
			const char *how;
			const char *rep = random_swap(s, t, r, &how);
			if (!rep)
				break;
			int l = random_fits(s, a, t, rep, node);
			if (l == -1)
				continue;
			const char *rt = l >= 0 ? wn_lemma_at(s->wn, l)->text : rep;
			if (strcmp(rt, node) && set_swap(p, prev, nprev, KG_ENTITY_SWAP, old, rt))
				return 1;
		}
	}
	return 0;
}

static int plan_quantity(kg_synth *s, const kg_analysis *a, rng *r, kg_plan *p, const kg_plan *prev, int nprev)
{
	(void)s;
	const kg_parts *P = &a->parts;
	const kg_token *h = count_subject(a);
	if (!h)
		return 0;
	if (P->count_qty < 0 && !P->has_count && !P->plural)
		return 0;          /* a bare singular: a mass noun ("inflation") */
	/* the noun phrase up to its head ("A man", not "A man on skis") */
	if (!span_line(a, P->subject.start, h->end, p->subject, sizeof p->subject))
		return 0;
	long old = P->has_count ? (long)P->count : -1;
	for (int guard = 0; guard < 100; guard++) {
		long nv = draw_count(r);
		int used = nv == old;
		for (int i = 0; i < nprev && !used; i++)
			used = prev[i].kind == KG_QUANTITY && prev[i].count == nv;
		if (!used) {
			p->count = nv;
			return 1;
		}
	}
	return 0;
}

int kg_synth_plan(kg_synth *s, const char *text, size_t len, uint64_t seed, int n, kg_plan *out)
{
	kg_analyze(s->x, text, len, s->a);
	const kg_analysis *a = s->a;
	rng r;
	/* a stream of its own: "plan" */
	rng_seed(&r, rng_derive(rng_derive(seed, fnv64(text, len)), 0x706c616eULL));
	unsigned char used_rw[N_RS_ALL], used_ct[N_CW_ALL];
	memset(used_rw, 0, sizeof used_rw);
	memset(used_ct, 0, sizeof used_ct);
	int k = 0;
	for (int role = KG_POSITIVE; role <= KG_NEGATIVE; role++)
		for (int i = 0; i < n; i++, k++) {
			kg_plan *p = &out[k];
			memset(p, 0, sizeof *p);
			p->role = role;
			int chain[3], nchain;
			double u = rng_uniform_double(&r);
			if (role == KG_POSITIVE) {
				if (u < 0.7)
					chain[0] = KG_REWRITE, nchain = 1;
				else
					chain[0] = KG_RELATED_SWAP, chain[1] = KG_REWRITE, nchain = 2;
			} else if (u < 0.7)
				chain[0] = KG_CONTRADICTION, nchain = 1;
			else if (u < 0.85)
				chain[0] = KG_ENTITY_SWAP, chain[1] = KG_CONTRADICTION, nchain = 2;
			else
				chain[0] = KG_QUANTITY, chain[1] = KG_CONTRADICTION, chain[2] = KG_ENTITY_SWAP, nchain = 3;
			p->planned = chain[0];
			p->kind = -1;
			for (int c = 0; c < nchain && p->kind < 0; c++) {
				int ok = 0;
				switch (chain[c]) {
				case KG_REWRITE: ok = pick_style(&r, 0, used_rw, p->style, sizeof p->style); break;
				case KG_CONTRADICTION: ok = pick_style(&r, 1, used_ct, p->style, sizeof p->style); break;
				case KG_RELATED_SWAP: ok = plan_related(s, a, &r, p, out, k); break;
				case KG_ENTITY_SWAP: ok = plan_swap(s, a, &r, p, out, k); break;
				case KG_QUANTITY: ok = plan_quantity(s, a, &r, p, out, k); break;
				}
				if (ok)
					p->kind = chain[c];
			}
			if (p->kind < 0) {
				/* every style of the family used (n beyond the style space):
				 * repeat one; the request is then merged with its twin */
				p->kind = role == KG_POSITIVE ? KG_REWRITE : KG_CONTRADICTION;
				style_text(role == KG_NEGATIVE, (int)rng_below(&r, role == KG_POSITIVE ? N_RS : N_CW),
				           p->style, sizeof p->style);
			}
		}
	return k;
}
