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

void kgx_main_parts(kg_extractor *x, kg_analysis *a, const np *nps, int nnp)
{
	const wordnet *wn = x->wn;
	kg_parts *P = &a->parts;
	memset(P, 0, sizeof *P);
	P->theme = -1;
	P->count_qty = -1;
	P->vg0 = P->vg1 = -1;
	int n = a->ntok;
	/* clause start: skip a leading subordinate clause up to its comma, or a fronted PP */
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
		int k = np_at(nps, nnp, cs + 1);
		if (k >= 0) {
			int e = nps[k].t1;
			if (e < n && !strcmp(a->tok[e].norm, ","))
				e++;
			if (e < n)
				cs = e;
		}
	}
	/* the verb group */
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
	int mainv = -1, v1 = -1;
	if (v0 >= 0) {
		int j = v0;
		int last_aux = -1;
		while (j < n) {
			int tg = a->tok[j].tag;
			if (tg == KG_AUX || tg == KG_MODAL) {
				last_aux = j;
				j++;
			} else if (tg == KG_NEG) {
				P->negated = 1;
				j++;
			} else if (tg == KG_ADV && j + 1 < n &&
			           (a->tok[j + 1].tag == KG_VERB || a->tok[j + 1].tag == KG_AUX ||
			            a->tok[j + 1].tag == KG_NEG)) {
				j++;
			} else if (tg == KG_VERB) {
				mainv = j;
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
		if (mainv < 0)
			mainv = last_aux;
		v1 = j;
		if (mainv < 0) {
			v0 = -1;
		}
	}
	if (v0 >= 0) {
		P->vg0 = v0;
		P->vg1 = v1;
		const kg_token *mv = &a->tok[mainv];
		int lemma = mv->lemma;
		set_part(a, &P->action, v0, v1, mainv, lemma, lemma >= 0 ? WN_VERB : -1, kgx_lexfile(wn, lemma, WN_VERB));
		if (mv->tag == KG_MODAL) {
			P->action.lemma = -1;
			P->action.pos = -1;
		}
	}
	/* subject */
	int subj_np = -1;
	if (v0 >= 0) {
		if (v0 > cs && a->tok[v0 - 1].tag == KG_EX) {
			P->existential = 1;
			subj_np = np_at(nps, nnp, v1);
		} else {
			int k = np_ending_before(nps, nnp, cs, v0);
			if (k >= 0) {
				/* prefer the NP right before the verb group when an NP + PP chain leads to it */
				subj_np = k;
			}
			/* a pronoun right before the verb */
			if (v0 > cs && a->tok[v0 - 1].tag == KG_PRON &&
			    (subj_np < 0 || nps[subj_np].t1 < v0 - 1)) {
				const kg_token *pr = &a->tok[v0 - 1];
				set_part(a, &P->subject, v0 - 1, v0, v0 - 1, -1, -1,
				         pr->person & P_HUMAN ? wn_lexfile_by_name("noun.person") : KG_TYPE_PRONOUN);
				P->plural = (pr->person & P_PLURAL) != 0;
				P->has_count = !P->plural;
				P->count = 1;
				subj_np = -2;
			}
		}
	} else if (nnp > 0) {
		subj_np = np_ending_before(nps, nnp, cs, n + 1);
	}
	if (subj_np >= 0) {
		const np *sp = &nps[subj_np];
		int e = sp->t1;
		/* attach one PP ("a man on skis") when it still ends before the verb */
		if (e + 1 < n && a->tok[e].tag == KG_PREP && kgx_attach_prep(a->tok[e].norm) && !P->existential) {
			int k = np_at(nps, nnp, e + 1);
			if (k >= 0 && (v0 < 0 || nps[k].t1 <= v0 || P->existential))
				e = nps[k].t1;
		}
		const kg_token *h = &a->tok[sp->head];
		int type = kgx_tok_type(wn, h);
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
	/* state */
	if (v0 >= 0) {
		int j = v1;
		if (P->existential && subj_np >= 0)
			j = P->subject.tok1;
		while (j < n && (a->tok[j].tag == KG_ADV || a->tok[j].tag == KG_NEG) &&
		       !(j + 1 < n && a->tok[j + 1].tag == KG_ADJ))
			j++;
		if (j < n) {
			const kg_token *u = &a->tok[j];
			if (u->tag == KG_ADJ || (u->tag == KG_ADV && j + 1 < n && a->tok[j + 1].tag == KG_ADJ)) {
				int h = u->tag == KG_ADJ ? j : j + 1;
				int e = h + 1;
				if (e < n && a->tok[e].tag == KG_NOUN) {
					/* an adjective inside an object NP */
					int k = np_at(nps, nnp, j);
					if (k >= 0)
						goto state_np;
				}
				set_part(a, &P->state, j, e, h, a->tok[h].lemma, a->tok[h].pos,
				         kgx_lexfile(wn, a->tok[h].lemma, a->tok[h].pos));
			} else if (u->tag == KG_PREP && j + 1 < n) {
				int k = np_at(nps, nnp, j + 1);
				if (k >= 0) {
					const kg_token *h = &a->tok[nps[k].head];
					set_part(a, &P->state, j, nps[k].t1, nps[k].head, h->lemma,
					         h->lemma >= 0 ? WN_NOUN : -1, kgx_tok_type(wn, h));
				}
			} else {
			state_np:;
				int k = np_at(nps, nnp, j);
				if (k >= 0) {
					const kg_token *h = &a->tok[nps[k].head];
					set_part(a, &P->state, j, nps[k].t1, nps[k].head, h->lemma,
					         h->lemma >= 0 ? WN_NOUN : -1, kgx_tok_type(wn, h));
				}
			}
		}
	}
	/* theme */
	if (P->action.present && P->action.lemma >= 0 && P->action.lemma != x->lem_be &&
	    P->action.lemma != x->lem_have && P->action.lemma != x->lem_do)
		P->theme = P->action.type;
	else if (P->subject.present && P->subject.type >= 0 && P->subject.type < 45)
		P->theme = P->subject.type;
	else if (P->state.present && P->state.type >= 0 && P->state.type < 45)
		P->theme = P->state.type;
	else if (P->action.present)
		P->theme = P->action.type;
}
