/* extract_tag.c — collocations and parts of speech; see extract_int.h. */
#include "kg/extract_int.h"
#include "base/cli.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <utf8proc.h>

static cand *cands(kg_extractor *x, int n)
{
	if (n > x->ccap) {
		x->ccap = n * 2;
		x->c = xrealloc(x->c, (size_t)x->ccap * sizeof *x->c);
	}
	return x->c;
}

/* The verb form of a word whose base is lemma text b. */
static int verb_form_of(const char *w, const char *b)
{
	size_t n = strlen(w), bl = strlen(b);
	const char *sp = strchr(w, ' ');
	if (sp)
		n = (size_t)(sp - w);
	const char *bsp = strchr(b, ' ');
	if (bsp)
		bl = (size_t)(bsp - b);
	if (n == bl && !memcmp(w, b, n))
		return WN_VB;
	if (n > 3 && !memcmp(w + n - 3, "ing", 3))
		return WN_VBG;
	if (n > bl && w[n - 1] == 's' && (n - bl <= 3))
		return WN_VBZ;
	return WN_VBD;
}

static void lookup_open(kg_extractor *x, const char *w, cand *c)
{
	const wordnet *wn = x->wn;
	size_t n = strlen(w);
	int known = 0, tmp[8];
	for (int p = 0; p < WN_NPOS && !known; p++)
		known = wn_morphy(wn, w, n, p, tmp, 8) > 0;
	const char *h = strrchr(w, '-');
	for (int p = 0; p < WN_NPOS; p++) {
		c->lemma[p] = -1;
		c->freq[p] = 0;
		int base[8];
		int k = wn_morphy(wn, w, n, p, base, 8);
		if (!k && !known && h && h[1] && p != WN_VERB)
			k = wn_morphy(wn, h + 1, strlen(h + 1), p, base, 8);   /* "high-speed": the last part */
		if (!k)
			continue;
		int best = base[0];
		uint32_t bf = wn_lemma_at(wn, base[0])->freq[p];
		if (p == WN_ADJ || p == WN_ADV) {
			/* the word itself when WordNet has it (no comparatives) */
			for (int i = 0; i < k; i++)
				if (!strcmp(wn_lemma_at(wn, base[i])->text, w))
					best = base[i], bf = wn_lemma_at(wn, base[i])->freq[p];
		} else
			for (int i = 1; i < k; i++) {
				uint32_t f = wn_lemma_at(wn, base[i])->freq[p];
				if (f > bf)
					best = base[i], bf = f;
			}
		c->lemma[p] = best;
		c->freq[p] = bf + 1;
		const char *bt = wn_lemma_at(wn, best)->text;
		if (p == WN_VERB)
			c->vform = (uint8_t)verb_form_of(w, bt);
		if (p == WN_NOUN) {
			c->plural = strcmp(bt, w) != 0 && strlen(w) > 1 && w[strlen(w) - 1] != '\'';
			if (!strcmp(w, "people") || !strcmp(w, "police") || !strcmp(w, "cattle"))
				c->plural = 1;
		}
	}
}

static int can(const cand *c, int p)
{
	return c->lemma[p] >= 0;
}

static int sentence_initial(const kg_analysis *a, int i)
{
	for (int j = i - 1; j >= 0; j--) {
		const kg_token *t = &a->tok[j];
		if (t->tag == KG_PUNCT) {
			const char *n = t->norm;
			if (!strcmp(n, ".") || !strcmp(n, "!") || !strcmp(n, "?") || !strcmp(n, ":"))
				return 1;
			if (!strcmp(n, "\"") || !strcmp(n, "(") || !strcmp(n, "'") ||
			    !strncmp(n, "\xe2\x80\x9c", 3) || !strncmp(n, "\xe2\x80\x98", 3) ||
			    !strcmp(n, "-") || !strncmp(n, "\xe2\x80\x94", 3))
				continue;
			return 0;
		}
		return 0;
	}
	return 1;
}

static int is_upper_start(const kg_analysis *a, const kg_token *t)
{
	int32_t cp;
	kgx_cp_at(a->text, a->len, (size_t)t->start, &cp);
	if (cp < 128)
		return isupper(cp) != 0;
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU || utf8proc_category(cp) == UTF8PROC_CATEGORY_LT;
}

static const char *const particles[] = {
	"up", "down", "out", "off", "in", "on", "away", "back", "over", "around", "through",
	"about", "along", "apart", "aside", "forward", "together", NULL};

static int is_particle(const char *w)
{
	for (int i = 0; particles[i]; i++)
		if (!strcmp(particles[i], w))
			return 1;
	return 0;
}

/* Is a word more often an adjective than a noun ("cold" in "cold water")? */
static int adj_first(kg_extractor *x, const char *w)
{
	int id = wn_lookup(x->wn, w, strlen(w));
	if (id < 0)
		return 0;
	const wn_lemma *L = wn_lemma_at(x->wn, id);
	return L->nsense[WN_ADJ] && L->freq[WN_ADJ] >= L->freq[WN_NOUN];
}

/* Does token i follow a determiner or a possessive (norms are offsets + 1 here)? */
static int after_det(const kg_extractor *x, const kg_analysis *a, int i)
{
	if (i == 0)
		return 0;
	const char *pn = a->norm + (uintptr_t)a->tok[i - 1].norm - 1;
	int id = find_closed(x, pn);
	return id >= 0 && (closed_at(x, id)->tag == KG_DET || closed_at(x, id)->tag == KG_POSS);
}

/* Multi-word WordNet nouns and phrasal verbs become one token. */
void kgx_merge_collocations(kg_extractor *x, kg_analysis *a)
{
	const wordnet *wn = x->wn;
	/* norms become offsets while merging (the buffer may move) */
	for (int t = 0; t < a->ntok; t++)
		a->tok[t].norm = (const char *)(uintptr_t)((size_t)(a->tok[t].norm - a->norm) + 1);
	char buf[512];
	/* One pass: token i (read) is written to w; a merge takes n tokens into
	 * one. Tokens from i on are still the tokenizer's, and those before w
	 * the merged ones (after_det looks at w - 1). */
	int w = 0, ntok = a->ntok;
	for (int i = 0; i < ntok; w++) {
		int took = 1;
		for (int n = 4; n >= 2; n--) {
			if (i + n > ntok)
				continue;
			size_t bl = 0;
			int ok = 1;
			for (int k = 0; k < n && ok; k++) {
				const kg_token *t = &a->tok[i + k];
				const char *nm = a->norm + (uintptr_t)t->norm - 1;
				if (!is_word_tok(t) || (k && t->glued) || nm[0] == '\'' || !strcmp(nm, "n't"))
					ok = 0;
				size_t l = strlen(nm);
				if (bl + l + 2 >= sizeof buf)
					ok = 0;
				if (!ok)
					break;
				if (k)
					buf[bl++] = ' ';
				memcpy(buf + bl, nm, l);
				bl += l;
			}
			if (!ok)
				continue;
			buf[bl] = 0;
			const char *first = a->norm + (uintptr_t)a->tok[i].norm - 1;
			const char *last = a->norm + (uintptr_t)a->tok[i + n - 1].norm - 1;
			int fc = find_closed(x, first), lc = find_closed(x, last);
			int fnum = kgx_numword_index(first, strlen(first)) >= 0;
			int base[4];
			int merged = 0;     /* COLLOC_NOUN or COLLOC_VERB when the words merge */
			if (fc < 0 && lc < 0 && !fnum && wn_morphy(wn, buf, bl, WN_NOUN, base, 4) > 0 &&
			    strchr(wn_lemma_at(wn, base[0])->text, ' ') &&
			    (wn_lemma_at(wn, base[0])->freq[WN_NOUN] > 0 || !adj_first(x, first))) {
				merged = COLLOC_NOUN;
			} else if (n == 2 && fc < 0 && is_particle(last) && !after_det(x, a, w) &&
			           wn_morphy(wn, buf, bl, WN_VERB, base, 4) > 0 &&
			           strchr(wn_lemma_at(wn, base[0])->text, ' ') &&
			           wn_lemma_at(wn, base[0])->freq[WN_VERB] > 0) {
				merged = COLLOC_VERB;
			}
			if (merged) {
				kg_token *t = &a->tok[i];
				t->end = a->tok[i + n - 1].end;
				size_t off = kgx_norm_put(a, buf, bl);
				t->norm = (const char *)(uintptr_t)(off + 1);
				t->form = (uint8_t)merged;    /* cleared in tagging */
				took = n;
				break;
			}
		}
		if (w != i)
			a->tok[w] = a->tok[i];
		i += took;
	}
	a->ntok = w;
	for (int t = 0; t < a->ntok; t++)
		a->tok[t].norm = a->norm + (uintptr_t)a->tok[t].norm - 1;
}

static int prev_word(const kg_analysis *a, int i)
{
	return i > 0 ? i - 1 : -1;
}

/* What tagging a token looks at: the sentence-wide facts, the state of the
 * left-to-right pass, the token and its neighbours. */
typedef struct tagctx {
	kg_extractor *x;
	kg_analysis *a;
	cand *C;                 /* per token: its candidates (tag_candidates) */
	int capinfo;             /* capitals mark names: not title case, not all caps */
	int verb_seen;           /* a verb group since the last clause break */
	/* the token being tagged (tag_context) */
	int i;
	kg_token *t;
	const cand *c;
	int pi, ptag;            /* previous token and its tag, or -1 */
	const kg_token *nt;      /* next token, or NULL */
	const cand *nc;          /* its candidates, or NULL */
	int n_closed_tag;        /* next token's closed-class tag, or -1 */
	int n_nounish;           /* the next token can be or modify a noun */
} tagctx;

/* The first pass: every token's candidates, and whether capitals carry
 * information (g->capinfo). */
static void tag_candidates(tagctx *g)
{
	kg_extractor *x = g->x;
	kg_analysis *a = g->a;
	int nword = 0, ncap = 0, ncapclosed = 0, nletters = 0, nupper = 0;
	for (int i = 0; i < a->ntok; i++) {
		kg_token *t = &a->tok[i];
		cand *c = &g->C[i];
		memset(c, 0, sizeof *c);
		c->closed = -1;
		c->numword = -1;
		for (int p = 0; p < WN_NPOS; p++)
			c->lemma[p] = -1;
		int colloc = t->form;
		t->form = 0;
		t->cap = (uint8_t)(is_word_tok(t) && is_upper_start(a, t));
		if (!is_word_tok(t)) {
			if (t->tag == KG_NUM)
				kgx_parse_digits(t->norm, strlen(t->norm), &t->num);
			continue;
		}
		nword++;
		ncap += t->cap;
		for (int q = t->start; q < t->end; q++) {
			unsigned char ch = (unsigned char)a->text[q];
			nletters += isalpha(ch) != 0;
			nupper += isupper(ch) != 0;
		}
		if (t->cap && i > 0 && find_closed(x, t->norm) >= 0 && strcmp(t->norm, "i"))
			ncapclosed++;
		if (colloc == COLLOC_VERB || colloc == COLLOC_NOUN) {
			lookup_open(x, t->norm, c);
			if (colloc == COLLOC_VERB)
				c->lemma[WN_NOUN] = c->lemma[WN_ADJ] = c->lemma[WN_ADV] = -1;
			else
				c->lemma[WN_VERB] = c->lemma[WN_ADJ] = c->lemma[WN_ADV] = -1;
			/* every word capitalised: a name ("John Smith", "New York") */
			int allcap = 1;
			for (const char *q = a->text + t->start; q < a->text + t->end; q++)
				if ((q == a->text + t->start || q[-1] == ' ') && !isupper((unsigned char)*q))
					allcap = 0;
			if (allcap && colloc == COLLOC_NOUN)
				c->numword = CAND_NAME_COLLOC;
			continue;
		}
		int nw = kgx_numword_index(t->norm, strlen(t->norm));
		double v;
		if (nw < 0 && strchr(t->norm, '-') && kg_parse_number(t->norm, strlen(t->norm), &v))
			nw = 0;    /* "twenty-five" */
		if (nw >= 0) {
			c->numword = nw;
			kg_parse_number(t->norm, strlen(t->norm), &t->num);
			continue;
		}
		int cl = find_closed(x, t->norm);
		if (cl >= 0) {
			c->closed = cl;
			continue;
		}
		lookup_open(x, t->norm, c);
	}
	/* Title case ("The Man In The Park") or all-caps text: capitals say
	 * nothing about names. */
	g->capinfo = !((nword >= 3 && ncap * 10 >= nword * 6 && ncapclosed > 0) ||
	               (nletters >= 4 && nupper == nletters));
}

/* Token i and its neighbours into g. */
static void tag_context(tagctx *g, int i)
{
	kg_analysis *a = g->a;
	g->i = i;
	g->t = &a->tok[i];
	g->c = &g->C[i];
	g->pi = prev_word(a, i);
	g->ptag = g->pi >= 0 ? a->tok[g->pi].tag : -1;
	g->nt = i + 1 < a->ntok ? &a->tok[i + 1] : NULL;
	g->nc = g->nt ? &g->C[i + 1] : NULL;
	const cand *nc = g->nc;
	g->n_closed_tag = nc && nc->closed >= 0 ? closed_at(g->x, nc->closed)->tag : -1;
	g->n_nounish = nc && nc->closed < 0 && nc->numword < 0 &&
	               (can(nc, WN_NOUN) || can(nc, WN_ADJ) || (g->nt->cap && g->capinfo));
}

/* "do", "have" and their forms: an auxiliary when a verb of the right form
 * follows (after a negation, an adverb or, for "do", a subject pronoun),
 * else the main verb ("she has a dog"). */
static int do_have_is_aux(const tagctx *g, const char *w)
{
	const kg_extractor *x = g->x;
	const kg_analysis *a = g->a;
	for (int j = g->i + 1; j < a->ntok && j <= g->i + 3; j++) {
		const kg_token *u = &a->tok[j];
		const cand *uc = &g->C[j];
		if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_NEG)
			continue;
		if (uc->closed >= 0 && (closed_at(x, uc->closed)->tag == KG_ADV))
			continue;
		if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_PRON &&
		    (closed_at(x, uc->closed)->person & P_SUBJ) && w[0] == 'd')
			continue;   /* "did he go" */
		int aux = 0;
		if (uc->closed < 0 && uc->numword < 0 && can(uc, WN_VERB) && !u->cap &&
		    (w[0] == 'd' ? uc->vform == WN_VB
		                 : (uc->vform == WN_VBD || uc->vform == WN_VBN)))
			aux = 1;
		if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_AUX &&
		    !strcmp(u->norm, "been"))
			aux = 1;
		return aux;
	}
	return 0;
}

/* The closed-class words whose tag depends on their neighbours: "that",
 * determiners used alone, "her"/"his", "'s", "'d", "to", "there", "like",
 * particles, "do"/"have" as main verbs. */
static void retag_closed(tagctx *g, const closed_word *cw)
{
	kg_extractor *x = g->x;
	kg_analysis *a = g->a;
	kg_token *t = g->t;
	const kg_token *nt = g->nt;
	const cand *nc = g->nc;
	int pi = g->pi, ptag = g->ptag, n_closed_tag = g->n_closed_tag, n_nounish = g->n_nounish;
	const char *w = t->norm;
	if (!strcmp(w, "that")) {
		if (n_nounish && n_closed_tag < 0 && !(nc && can(nc, WN_VERB) && !can(nc, WN_NOUN)))
			t->tag = KG_DET;
		else if (ptag == KG_VERB || ptag == KG_NOUN || ptag == KG_NAME || ptag == KG_ADJ ||
		         ptag == KG_PUNCT || n_closed_tag == KG_DET || n_closed_tag == KG_PRON ||
		         n_closed_tag == KG_POSS || (nt && nt->cap))
			t->tag = KG_SUB;
		else
			t->tag = KG_PRON, t->person = P_SUBJ;
	} else if (!strcmp(w, "this") || !strcmp(w, "these") || !strcmp(w, "those") ||
	           !strcmp(w, "some") || !strcmp(w, "all") || !strcmp(w, "many") ||
	           !strcmp(w, "much") || !strcmp(w, "few") || !strcmp(w, "both") ||
	           !strcmp(w, "each") || !strcmp(w, "several") || !strcmp(w, "more") ||
	           !strcmp(w, "most") || !strcmp(w, "any") || !strcmp(w, "enough")) {
		if (!n_nounish && n_closed_tag != KG_DET && n_closed_tag != KG_POSS &&
		    !(nt && nt->tag == KG_NUM))
			t->tag = KG_PRON, t->person = P_SUBJ | (strcmp(w, "this") && strcmp(w, "much") &&
			                                        strcmp(w, "each") && strcmp(w, "any") &&
			                                        strcmp(w, "enough") ? P_PLURAL : 0);
	} else if (!strcmp(w, "her") || !strcmp(w, "his")) {
		if (!(n_nounish || (nt && nt->tag == KG_NUM)) || n_closed_tag >= 0)
			t->tag = KG_PRON, t->person = P_HUMAN;
	} else if (!strcmp(w, "'s")) {
		if (ptag == KG_PRON || ptag == KG_EX || ptag == KG_SUB || n_closed_tag == KG_DET ||
		    n_closed_tag == KG_NEG || n_closed_tag == KG_PREP ||
		    (nc && nc->vform == WN_VBG && can(nc, WN_VERB))) {
			t->tag = KG_AUX;
			t->form = WN_VBZ;
			t->pos = WN_VERB;
			t->lemma = x->lem_be;
			g->verb_seen = 1;
		}
	} else if (!strcmp(w, "'d")) {
		if (nc && nc->vform == WN_VBD && can(nc, WN_VERB) && !can(nc, WN_NOUN)) {
			t->tag = KG_AUX;
			t->form = WN_VBD;
			t->pos = WN_VERB;
			t->lemma = x->lem_have;
		}
	} else if (!strcmp(w, "to")) {
		/* "to the park": a preposition; "to run": an infinitive */
		if (n_closed_tag == KG_DET || n_closed_tag == KG_POSS ||
		    (n_closed_tag == KG_PRON && !(closed_at(x, nc->closed)->person & P_SUBJ)) ||
		    (nt && (nt->tag == KG_NUM || (nt->cap && g->capinfo))) ||
		    (n_nounish && n_closed_tag < 0 && !can(nc, WN_VERB)))
			t->tag = KG_PREP;
	} else if (!strcmp(w, "there")) {
		if (!(n_closed_tag == KG_AUX || n_closed_tag == KG_MODAL))
			t->tag = KG_ADV;
	} else if (!strcmp(w, "like")) {
		if ((ptag == KG_PRON && (a->tok[pi].person & P_SUBJ)) || ptag == KG_MODAL ||
		    ptag == KG_TO || ptag == KG_NEG) {
			t->tag = KG_VERB;
			t->closed = 0;
			t->pos = WN_VERB;
			t->lemma = wn_lookup(x->wn, "like", 4);
			t->form = WN_VB;
			g->verb_seen = 1;
		}
	} else if (cw->tag == KG_PREP && is_particle(w) && (ptag == KG_VERB) &&
	           (!nt || nt->tag == KG_PUNCT || n_closed_tag == KG_CONJ ||
	            n_closed_tag == KG_PREP)) {
		t->tag = KG_PRT;
	} else if (!strcmp(w, "do") || !strcmp(w, "does") || !strcmp(w, "did") ||
	           !strcmp(w, "have") || !strcmp(w, "has") || !strcmp(w, "had") ||
	           !strcmp(w, "having")) {
		/* main verb when an object follows rather than a verb */
		if (!do_have_is_aux(g, w))
			t->tag = KG_VERB;
	}
}

/* A closed-class word: its table entry, then its neighbours. */
static void tag_closed(tagctx *g)
{
	kg_extractor *x = g->x;
	kg_analysis *a = g->a;
	kg_token *t = g->t;
	int pi = g->pi;
	const closed_word *cw = closed_at(x, g->c->closed);
	t->closed = 1;
	t->tag = cw->tag;
	t->person = cw->person;
	if (cw->tag == KG_AUX) {
		t->form = cw->form;
		t->pos = WN_VERB;
		t->lemma = !strcmp(cw->base, "be") ? x->lem_be
		         : !strcmp(cw->base, "have") ? x->lem_have : x->lem_do;
		if (t->form == WN_VBD && pi >= 0 && (a->tok[pi].tag == KG_AUX))
			t->form = WN_VBN;
		g->verb_seen = 1;
	} else if (cw->tag == KG_MODAL) {
		g->verb_seen = 1;
	}
	retag_closed(g, cw);
	if (t->tag == KG_NEG && pi >= 0 && a->tok[pi].tag == KG_AUX)
		g->verb_seen = 1;
}

/* The auxiliary before an open-class word (through a negation or an adverb). */
typedef struct prevaux { int be, have, do_; } prevaux;

static prevaux prev_aux(const tagctx *g)
{
	const kg_extractor *x = g->x;
	const kg_analysis *a = g->a;
	int pi = g->pi;
	const kg_token *pt = pi >= 0 ? &a->tok[pi] : NULL;
	prevaux pa;
	pa.be = pt && pt->tag == KG_AUX && pt->lemma == x->lem_be;
	pa.have = pt && pt->tag == KG_AUX && pt->lemma == x->lem_have;
	pa.do_ = pt && pt->tag == KG_AUX && pt->lemma == x->lem_do;
	if (pt && pt->tag == KG_NEG && pi > 0) {
		const kg_token *pp = &a->tok[pi - 1];
		pa.be = pp->tag == KG_AUX && pp->lemma == x->lem_be;
		pa.have = pp->tag == KG_AUX && pp->lemma == x->lem_have;
		pa.do_ = (pp->tag == KG_AUX && pp->lemma == x->lem_do) || pp->tag == KG_MODAL;
	}
	if (pt && pt->tag == KG_ADV && pi > 0 && a->tok[pi - 1].tag == KG_AUX) {
		const kg_token *pp = &a->tok[pi - 1];
		pa.be = pp->lemma == x->lem_be;
		pa.have = pp->lemma == x->lem_have;
	}
	return pa;
}

/* The score of every part of speech an open-class word can have: its
 * WordNet frequency and a prior, moved by the neighbours. */
static void open_scores(const tagctx *g, int initial, prevaux pa, double sc[WN_NPOS])
{
	const kg_extractor *x = g->x;
	const kg_analysis *a = g->a;
	const kg_token *t = g->t, *nt = g->nt;
	const cand *c = g->c, *nc = g->nc;
	int pi = g->pi, ptag = g->ptag, n_closed_tag = g->n_closed_tag;
	static const double prior[WN_NPOS] = {0.5, 0.3, 0.4, 0.0};
	for (int p = 0; p < WN_NPOS; p++)
		sc[p] = can(c, p) ? log1p((double)c->freq[p]) + prior[p] : -1e9;
	const kg_token *pt = pi >= 0 ? &a->tok[pi] : NULL;
	if (ptag == KG_DET || ptag == KG_POSS || ptag == KG_ADJ || ptag == KG_NUM) {
		sc[WN_VERB] -= 5;
		sc[WN_ADV] -= 2;
		sc[WN_NOUN] += 1;
		sc[WN_ADJ] += 0.5;
	}
	if (ptag == KG_MODAL || ptag == KG_TO || pa.do_) {
		if (c->vform == WN_VB)
			sc[WN_VERB] += 4;
	}
	if (ptag == KG_PRON && (pt->person & P_SUBJ) && strcmp(pt->norm, "one"))
		sc[WN_VERB] += 3;
	if (pa.be) {
		if (c->vform == WN_VBG || c->vform == WN_VBD)
			sc[WN_VERB] += 3;
		else
			sc[WN_ADJ] += 1.5, sc[WN_NOUN] += 0.5;
	}
	if (pa.have && c->vform == WN_VBD)
		sc[WN_VERB] += 3;
	int verb_next = nc && nc->closed < 0 && nc->numword < 0 && can(nc, WN_VERB) &&
	                !can(nc, WN_NOUN) && !can(nc, WN_ADJ);
	if ((ptag == KG_NOUN || ptag == KG_NAME) && !g->verb_seen && can(c, WN_VERB)) {
		if (verb_next && can(c, WN_NOUN))
			sc[WN_VERB] -= 2;     /* "the rice grains cohere": the verb is next */
		else if (c->vform == WN_VBZ || c->vform == WN_VBD)
			sc[WN_VERB] += 2.5;
		else if (pt->form == 1 && c->vform == WN_VB)
			sc[WN_VERB] += 1;
	}
	if (ptag == KG_PREP) {
		if (c->vform != WN_VBG)
			sc[WN_VERB] -= 3;
		sc[WN_NOUN] += 1;
	}
	if (nt && (n_closed_tag == KG_DET || n_closed_tag == KG_POSS ||
	           (n_closed_tag == KG_PRON && !(nc && closed_at(x, nc->closed)->person & P_SUBJ)) ||
	           nt->tag == KG_NUM || (nc && nc->numword >= 0)) &&
	    ptag != KG_DET && ptag != KG_POSS) {
		sc[WN_VERB] += 1.5;
		sc[WN_NOUN] -= 0.5;
	}
	if (g->n_nounish && nc && n_closed_tag < 0) {
		sc[WN_ADJ] += 1;
		sc[WN_NOUN] += 0.3;
	}
	if (n_closed_tag == KG_MODAL || (n_closed_tag == KG_AUX && nc && !can(nc, WN_VERB))) {
		sc[WN_VERB] -= 3;     /* "squash can be ...": a subject, not a verb */
		sc[WN_NOUN] += 1;
	}
	if (initial && can(c, WN_VERB) && c->vform == WN_VB && nt &&
	    (n_closed_tag == KG_DET || n_closed_tag == KG_POSS || n_closed_tag == KG_PRON ||
	     n_closed_tag == KG_ADV || n_closed_tag == KG_PREP || nt->tag == KG_PUNCT))
		sc[WN_VERB] += 2;
	size_t wl = strlen(t->norm);
	if (wl > 3 && !strcmp(t->norm + wl - 2, "ly") && can(c, WN_ADV))
		sc[WN_ADV] += 2;
	if (!nt || nt->tag == KG_PUNCT) {
		if (pa.be)
			sc[WN_ADJ] += 1;
	}
	if (g->verb_seen && !(pa.be || pa.have || pa.do_ || ptag == KG_MODAL ||
	                      ptag == KG_TO || ptag == KG_NEG))
		sc[WN_VERB] -= 1;
}

/* An open-class word: a name by its capital, else the best-scoring part of
 * speech WordNet allows. */
static void tag_open(tagctx *g)
{
	kg_analysis *a = g->a;
	kg_token *t = g->t;
	const cand *c = g->c;
	const kg_token *nt = g->nt;
	int pi = g->pi, ptag = g->ptag;
	int initial = sentence_initial(a, g->i);
	int any = 0;
	for (int p = 0; p < WN_NPOS; p++)
		any |= can(c, p);
	if (t->cap && g->capinfo && !initial && strcmp(t->norm, "i")) {
		t->tag = KG_NAME;
		t->pos = can(c, WN_NOUN) ? WN_NOUN : -1;
		t->lemma = c->lemma[WN_NOUN];
		return;
	}
	if (!any) {
		if (t->cap && g->capinfo) {
			t->tag = KG_NAME;
			return;
		}
		if (ptag == KG_DET || ptag == KG_ADJ || ptag == KG_POSS || ptag == KG_NUM)
			t->tag = KG_NOUN;
		else
			t->tag = KG_OTHER;
		return;
	}
	prevaux pa = prev_aux(g);
	double sc[WN_NPOS];
	open_scores(g, initial, pa, sc);
	const kg_token *pt = pi >= 0 ? &a->tok[pi] : NULL;
	int best = -1;
	for (int p = 0; p < WN_NPOS; p++)
		if (can(c, p) && (best < 0 || sc[p] > sc[best]))
			best = p;
	static const uint8_t tagof[WN_NPOS] = {KG_NOUN, KG_VERB, KG_ADJ, KG_ADV};
	t->tag = tagof[best];
	t->pos = best;
	t->lemma = c->lemma[best];
	if (best == WN_VERB) {
		t->form = c->vform;
		if (t->form == WN_VBD && (pa.be || pa.have))
			t->form = WN_VBN;
		if (!(pt && (pt->tag == KG_DET || pt->tag == KG_ADJ)))
			g->verb_seen = 1;
	} else if (best == WN_NOUN)
		t->form = c->plural;
	if (t->tag == KG_NOUN && t->cap && initial && g->capinfo && !can(c, WN_ADJ) &&
	    c->freq[WN_NOUN] <= 1 && c->freq[WN_VERB] <= 1 && nt && nt->cap)
		t->tag = KG_NAME;
}

/* The second pass: token g->i's tag from its candidates and neighbours. */
static void tag_one(tagctx *g)
{
	kg_analysis *a = g->a;
	kg_token *t = g->t;
	const cand *c = g->c;
	if (t->tag == KG_PUNCT) {
		if (!strcmp(t->norm, ",") || !strcmp(t->norm, ";") || !strcmp(t->norm, ":"))
			g->verb_seen = 0;
		return;
	}
	if (t->tag == KG_SYM || t->tag == KG_NUM)
		return;
	if (t->glued && g->pi >= 0 && a->tok[g->pi].tag == KG_NUM) {
		t->tag = KG_OTHER;      /* a unit glued to a number: "16GB", "3rd" */
		return;
	}
	if (c->numword == CAND_NAME_COLLOC) {
		t->tag = KG_NAME;
		t->pos = WN_NOUN;
		t->lemma = c->lemma[WN_NOUN];
		return;
	}
	if (c->numword >= 0) {
		t->tag = KG_NUM;
		if (!strcmp(t->norm, "one") && !g->n_nounish && !(g->nt && g->nt->tag == KG_NUM)) {
			t->tag = KG_PRON;
			t->person = P_SUBJ;
		}
		return;
	}
	if (c->closed >= 0)
		tag_closed(g);
	else
		tag_open(g);
}

/* The third pass: participles before a noun modify it ("a broken window"),
 * they are no verb. */
static void retag_participles(kg_extractor *x, kg_analysis *a)
{
	const wordnet *wn = x->wn;
	for (int i = 0; i + 1 < a->ntok; i++) {
		kg_token *t = &a->tok[i];
		if (t->tag == KG_VERB && (t->form == WN_VBG || t->form == WN_VBN || t->form == WN_VBD) &&
		    i > 0 && (a->tok[i - 1].tag == KG_DET || a->tok[i - 1].tag == KG_POSS ||
		              a->tok[i - 1].tag == KG_ADJ) &&
		    (a->tok[i + 1].tag == KG_NOUN || a->tok[i + 1].tag == KG_NAME)) {
			int adj = wn_lookup(wn, t->norm, strlen(t->norm));
			const uint32_t *s;
			t->tag = KG_ADJ;
			if (adj >= 0 && wn_senses(wn, adj, WN_ADJ, &s) > 0)
				t->lemma = adj, t->pos = WN_ADJ;
		}
	}
}

void kgx_tag_tokens(kg_extractor *x, kg_analysis *a)
{
	tagctx g = {.x = x, .a = a, .C = cands(x, a->ntok + 1)};
	tag_candidates(&g);
	for (int i = 0; i < a->ntok; i++) {
		tag_context(&g, i);
		tag_one(&g);
	}
	retag_participles(x, a);
}
