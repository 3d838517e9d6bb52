/* extract_parts.c — the main parts of a sentence: theme, subject, action,
 * state; see extract_int.h. */
#include "kg/extract_int.h"

#include <string.h>

static void set_part(kg_analysis *a, kg_part *p, int t0, int t1, int head, int lemma, int pos, int type)
{
	p->present = 1;
	p->tok0 = t0;
	p->tok1 = t1;
	p->start = a->tok[t0].start;
	p->end = a->tok[t1 - 1].end;
	p->head = head;
	p->lemma = lemma;
	p->pos = pos;
	p->type = type;
}

static int np_at(const np *nps, int nnp, int tok)
{
	int best = -1;
	for (int k = 0; k < nnp; k++)
		if (nps[k].t0 == tok && (best < 0 || nps[k].t1 > nps[best].t1))
			best = k;
	return best;
}

static int np_ending_before(const np *nps, int nnp, int from, int tok)
{
	int best = -1;
	for (int k = 0; k < nnp; k++)
		if (nps[k].t0 >= from && nps[k].t1 <= tok &&
		    (best < 0 || nps[k].t0 < nps[best].t0 ||
		     (nps[k].t0 == nps[best].t0 && nps[k].t1 > nps[best].t1)))
			best = k;
	return best;
}

static void subject_count(kg_analysis *a, const np *sp, kg_parts *P)
{
	P->has_count = 0;
	P->count_qty = -1;
	const kg_token *h = &a->tok[sp->head];
	P->plural = h->tag == KG_NOUN && h->form == 1;
	for (int k = 0; k < a->nqty; k++) {
		const kg_quantity *q = &a->qty[k];
		if (q->numtok >= sp->t0 && q->numtok < sp->head && q->has_value && !q->date[0] &&
		    strcmp(q->unit, "time") && strcmp(q->unit, "year")) {
			P->has_count = 1;
			P->count = q->value;
			P->count_qty = k;
			return;
		}
	}
	const char *d = a->tok[sp->t0].norm;
	if (a->tok[sp->t0].tag == KG_DET) {
		if (!strcmp(d, "a") || !strcmp(d, "an") || !strcmp(d, "one"))
			P->has_count = 1, P->count = 1;
		else if (!strcmp(d, "both"))
			P->has_count = 1, P->count = 2;
		else if (!strcmp(d, "no"))
			P->has_count = 1, P->count = 0;
		else if (!P->plural && (!strcmp(d, "the") || !strcmp(d, "this") || !strcmp(d, "that") ||
		                        !strcmp(d, "every") || !strcmp(d, "each") || !strcmp(d, "another")))
			P->has_count = 1, P->count = 1;
	} else if (a->tok[sp->t0].tag == KG_POSS && !P->plural)
		P->has_count = 1, P->count = 1;
	else if (!P->plural && h->tag == KG_NAME)
		P->has_count = 1, P->count = 1;
}

static int has_comma(const kg_analysis *a, int from)
{
	for (int j = from; j < a->ntok; j++)
		if (!strcmp(a->tok[j].norm, ","))
			return 1;
	return 0;
}

/* The subject of the main clause is a pronoun, not a noun phrase
 * (mainctx.subj_np; otherwise an index in nps, or -1 for none). */
enum { SUBJ_PRONOUN = -2 };

/* What the steps of kgx_main_parts share. */
typedef struct mainctx {
	const kg_extractor *x;
	const wordnet *wn;
	kg_analysis *a;
	kg_parts *P;
	const np *nps;
	int nnp;
	int n;                 /* tokens */
	int cs;                /* the main clause's first token */
	int v0, v1, mainv;     /* its verb group [v0, v1) and main verb; v0 -1: none */
	int subj_np;           /* the subject's noun phrase, -1 or SUBJ_PRONOUN */
} mainctx;

/* The main clause's first token: after a leading subordinate clause up to
 * its comma, or after a fronted prepositional phrase. */
static int clause_start(const mainctx *g)
{
	const kg_analysis *a = g->a;
	int n = g->n;
	int cs = 0;
	while (cs < n && a->tok[cs].tag == KG_PUNCT)
		cs++;
	if (cs < n && (a->tok[cs].tag == KG_SUB || (a->tok[cs].tag == KG_PREP &&
	               (!strcmp(a->tok[cs].norm, "after") || !strcmp(a->tok[cs].norm, "before") ||
	                !strcmp(a->tok[cs].norm, "since") || !strcmp(a->tok[cs].norm, "as")))) &&
	    strcmp(a->tok[cs].norm, "what") && strcmp(a->tok[cs].norm, "how") && strcmp(a->tok[cs].norm, "why") &&
	    has_comma(a, cs)) {
		for (int j = cs + 1; j < n; j++)
			if (!strcmp(a->tok[j].norm, ",")) {
				cs = j + 1;
				break;
			}
	} else if (cs < n && a->tok[cs].tag == KG_PREP) {
		int k = np_at(g->nps, g->nnp, cs + 1);
		if (k >= 0) {
			int e = g->nps[k].t1;
			if (e < n && !strcmp(a->tok[e].norm, ","))
				e++;
			if (e < n)
				cs = e;
		}
	}
	return cs;
}

/* The first token of the verb group, or -1. */
static int verb_group_start(const mainctx *g)
{
	const kg_analysis *a = g->a;
	int n = g->n, cs = g->cs;
	int v0 = -1, weak = -1;
	for (int j = cs; j < n; j++) {
		int tg = a->tok[j].tag;
		/* "to tape", a gerund subject ("averting her gaze meant ..."): only
		 * when no finite verb group follows */
		if (tg == KG_VERB && ((j > 0 && a->tok[j - 1].tag == KG_TO) ||
		                      (a->tok[j].form == WN_VBG && (j == cs || a->tok[j - 1].tag == KG_PUNCT)))) {
			if (weak < 0)
				weak = j;
			continue;
		}
		if (tg == KG_AUX || tg == KG_MODAL || tg == KG_VERB) {
			v0 = j;
			break;
		}
		if (tg == KG_NEG && j + 1 < n && (a->tok[j + 1].tag == KG_VERB)) {
			v0 = j;
			break;
		}
	}
	if (v0 < 0)
		v0 = weak;
	/* an adverb right before the group belongs to it ("she quickly ran") */
	while (v0 > cs && a->tok[v0 - 1].tag == KG_ADV && a->tok[v0].tag == KG_VERB)
		v0--;
	return v0;
}

/* The verb group from g->v0: auxiliaries, negation, adverbs, the main verb
 * and its particle. Sets v1, mainv and P->negated; v0 -1 when the group has
 * no verb. */
static void verb_group_end(mainctx *g)
{
	const kg_analysis *a = g->a;
	int n = g->n;
	int j = g->v0;
	int last_aux = -1;
	g->mainv = -1;
	while (j < n) {
		int tg = a->tok[j].tag;
		if (tg == KG_AUX || tg == KG_MODAL) {
			last_aux = j;
			j++;
		} else if (tg == KG_NEG) {
			g->P->negated = 1;
			j++;
		} else if (tg == KG_ADV && j + 1 < n &&
		           (a->tok[j + 1].tag == KG_VERB || a->tok[j + 1].tag == KG_AUX ||
		            a->tok[j + 1].tag == KG_NEG)) {
			j++;
		} else if (tg == KG_VERB) {
			g->mainv = j;
			j++;
			if (j < n && a->tok[j].tag == KG_PRT)
				j++;
			break;
		} else if (tg == KG_PRON && (a->tok[j].person & P_SUBJ) && last_aux == j - 1 && j + 1 < n &&
		           a->tok[j + 1].tag == KG_VERB) {
			j++;     /* question: "did he go" */
		} else
			break;
	}
	if (g->mainv < 0)
		g->mainv = last_aux;
	g->v1 = j;
	if (g->mainv < 0)
		g->v0 = -1;
}

/* The action: the verb group, its lemma the main verb's (none for a modal). */
static void set_action(mainctx *g)
{
	kg_parts *P = g->P;
	P->vg0 = g->v0;
	P->vg1 = g->v1;
	const kg_token *mv = &g->a->tok[g->mainv];
	int lemma = mv->lemma;
	set_part(g->a, &P->action, g->v0, g->v1, g->mainv, lemma, lemma >= 0 ? WN_VERB : -1,
	         kgx_lexfile(g->wn, lemma, WN_VERB));
	if (mv->tag == KG_MODAL) {
		P->action.lemma = -1;
		P->action.pos = -1;
	}
}

/* The subject's noun phrase (g->subj_np): after "there is", the noun phrase
 * before the verb group, or a pronoun right before it (then the subject is
 * set here); without a verb, the first noun phrase. */
static void find_subject(mainctx *g)
{
	const kg_analysis *a = g->a;
	kg_parts *P = g->P;
	const np *nps = g->nps;
	int nnp = g->nnp, cs = g->cs, v0 = g->v0;
	g->subj_np = -1;
	if (v0 >= 0) {
		if (v0 > cs && a->tok[v0 - 1].tag == KG_EX) {
			P->existential = 1;
			g->subj_np = np_at(nps, nnp, g->v1);
		} else {
			int k = np_ending_before(nps, nnp, cs, v0);
			if (k >= 0) {
				/* prefer the NP right before the verb group when an NP + PP chain leads to it */
				g->subj_np = k;
			}
			/* a pronoun right before the verb */
			if (v0 > cs && a->tok[v0 - 1].tag == KG_PRON &&
			    (g->subj_np < 0 || nps[g->subj_np].t1 < v0 - 1)) {
				const kg_token *pr = &a->tok[v0 - 1];
				set_part(g->a, &P->subject, v0 - 1, v0, v0 - 1, -1, -1,
				         pr->person & P_HUMAN ? wn_lexfile_by_name("noun.person") : KG_TYPE_PRONOUN);
				P->plural = (pr->person & P_PLURAL) != 0;
				P->has_count = !P->plural;
				P->count = 1;
				g->subj_np = SUBJ_PRONOUN;
			}
		}
	} else if (nnp > 0) {
		g->subj_np = np_ending_before(nps, nnp, cs, g->n + 1);
	}
}

/* The subject from its noun phrase: one attached prepositional phrase, its
 * count, and "X and Y" coordination. */
static void subject_from_np(mainctx *g)
{
	kg_analysis *a = g->a;
	kg_parts *P = g->P;
	const np *nps = g->nps;
	int nnp = g->nnp, n = g->n, v0 = g->v0;
	const np *sp = &nps[g->subj_np];
	int e = sp->t1;
	/* attach one PP ("a man on skis") when it still ends before the verb */
	if (e + 1 < n && a->tok[e].tag == KG_PREP && kgx_attach_prep(a->tok[e].norm) && !P->existential) {
		int k = np_at(nps, nnp, e + 1);
		if (k >= 0 && (v0 < 0 || nps[k].t1 <= v0 || P->existential))
			e = nps[k].t1;
	}
	const kg_token *h = &a->tok[sp->head];
	int type = kgx_tok_type(g->wn, h);
	set_part(a, &P->subject, sp->t0, e, sp->head, h->tag == KG_NOUN ? h->lemma : (h->lemma >= 0 ? h->lemma : -1),
	         h->lemma >= 0 ? WN_NOUN : -1, type);
	subject_count(a, sp, P);
	/* "a dog and a cat": a plural subject without a count */
	if (e + 1 < n && !strcmp(a->tok[e].norm, "and") && (v0 < 0 || e + 1 < v0)) {
		int k = np_at(nps, nnp, e + 1);
		if (k >= 0 && (v0 < 0 || nps[k].t1 <= v0)) {
			P->subject.tok1 = nps[k].t1;
			P->subject.end = a->tok[nps[k].t1 - 1].end;
			P->coordinated = 1;
			P->plural = 1;
			P->has_count = 0;
			P->count_qty = -1;
		}
	}
}

/* The state from token j on: noun phrase k, its head's lemma and type. */
static void state_from_np(mainctx *g, int j, int k)
{
	const kg_token *h = &g->a->tok[g->nps[k].head];
	set_part(g->a, &g->P->state, j, g->nps[k].t1, g->nps[k].head, h->lemma,
	         h->lemma >= 0 ? WN_NOUN : -1, kgx_tok_type(g->wn, h));
}

/* The state after the verb group (after the subject of "there is"): an
 * adjective, a prepositional phrase or a noun phrase. */
static void find_state(mainctx *g)
{
	kg_analysis *a = g->a;
	kg_parts *P = g->P;
	const np *nps = g->nps;
	int nnp = g->nnp, n = g->n;
	int j = g->v1;
	if (P->existential && g->subj_np >= 0)
		j = P->subject.tok1;
	while (j < n && (a->tok[j].tag == KG_ADV || a->tok[j].tag == KG_NEG) &&
	       !(j + 1 < n && a->tok[j + 1].tag == KG_ADJ))
		j++;
	if (j >= n)
		return;
	const kg_token *u = &a->tok[j];
	int k;
	if (u->tag == KG_ADJ || (u->tag == KG_ADV && j + 1 < n && a->tok[j + 1].tag == KG_ADJ)) {
		int h = u->tag == KG_ADJ ? j : j + 1;
		int e = h + 1;
		if (e < n && a->tok[e].tag == KG_NOUN && (k = np_at(nps, nnp, j)) >= 0)
			state_from_np(g, j, k);     /* an adjective inside an object NP */
		else
			set_part(a, &P->state, j, e, h, a->tok[h].lemma, a->tok[h].pos,
			         kgx_lexfile(g->wn, a->tok[h].lemma, a->tok[h].pos));
	} else if (u->tag == KG_PREP && j + 1 < n) {
		if ((k = np_at(nps, nnp, j + 1)) >= 0)
			state_from_np(g, j, k);
	} else if ((k = np_at(nps, nnp, j)) >= 0)
		state_from_np(g, j, k);
}

/* The theme: the action's type unless the verb is be, have or do, else the
 * subject's or the state's WordNet type, else the action's. */
static void pick_theme(const kg_extractor *x, kg_parts *P)
{
	if (P->action.present && P->action.lemma >= 0 && P->action.lemma != x->lem_be &&
	    P->action.lemma != x->lem_have && P->action.lemma != x->lem_do)
		P->theme = P->action.type;
	else if (P->subject.present && P->subject.type >= 0 && P->subject.type < WN_NLEXFILES)
		P->theme = P->subject.type;
	else if (P->state.present && P->state.type >= 0 && P->state.type < WN_NLEXFILES)
		P->theme = P->state.type;
	else if (P->action.present)
		P->theme = P->action.type;
}

void kgx_main_parts(kg_extractor *x, kg_analysis *a, const np *nps, int nnp)
{
	kg_parts *P = &a->parts;
	memset(P, 0, sizeof *P);
	P->theme = -1;
	P->count_qty = -1;
	P->vg0 = P->vg1 = -1;
	mainctx g = {.x = x, .wn = x->wn, .a = a, .P = P, .nps = nps, .nnp = nnp, .n = a->ntok,
	             .v1 = -1, .mainv = -1};
	g.cs = clause_start(&g);
	g.v0 = verb_group_start(&g);
	if (g.v0 >= 0)
		verb_group_end(&g);
	if (g.v0 >= 0)
		set_action(&g);
	find_subject(&g);
	if (g.subj_np >= 0)
		subject_from_np(&g);
	if (g.v0 >= 0)
		find_state(&g);
	pick_theme(x, P);
}
