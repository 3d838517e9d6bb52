/* extract_int.h — what the rooms of the rule extractor share; private to
 * lib/kg/extract*.c (callers use extract.h).
 *
 *   extract.c        the tables of closed-class and number words, the
 *                    extractor, numbers, tokens, noun phrases and entities,
 *                    kg_analyze and the JSON output
 *   extract_tag.c    collocations and parts of speech
 *   extract_quant.c  quantities: numbers with their units, dates, times
 *   extract_parts.c  the main parts: theme, subject, action, state
 *
 * kg_analyze runs them in that order: tokenize, kgx_merge_collocations,
 * kgx_tag_tokens, kgx_find_quantities, the noun phrases and entities,
 * kgx_main_parts. */
#ifndef GCSE_EXTRACT_INT_H
#define GCSE_EXTRACT_INT_H
#include "kg/extract.h"
#include "base/strmap.h"

#include <stdint.h>
#include <string.h>

/* ---- closed-class words (the table is in extract.c) ---- */

enum { P_HUMAN = 1, P_PLURAL = 2, P_SUBJ = 4 };    /* kg_token.person */

typedef struct closed_word {
	const char *w;
	uint8_t tag;
	uint8_t form;          /* AUX: verb form */
	const char *base;      /* AUX: "be", "have", "do" */
	uint8_t person;        /* PRON: P_* flags */
} closed_word;
extern const closed_word kgx_closed_words[];

/* Number words: value; scale words multiply. */
enum { NW_PLAIN = 0, NW_SCALE = 1, NW_DOZEN = 2 };
typedef struct numword { const char *w; double v; int scale; } numword;
extern const numword kgx_numwords[];

/* ---- the extractor ---- */

/* A token's candidates before tagging: what WordNet and the tables offer. */
typedef struct cand {
	int lemma[WN_NPOS];
	uint32_t freq[WN_NPOS];
	uint8_t vform;      /* verb form of the token if it is a verb */
	uint8_t plural;     /* noun form is plural */
	int closed;         /* strmap id of the closed-class word, or -1 */
	int numword;        /* index in kgx_numwords, -1, or CAND_NAME_COLLOC */
} cand;

/* cand.numword of a multi-word WordNet noun written with every word
 * capitalised ("New York"): a name. */
enum { CAND_NAME_COLLOC = -2 };

/* kg_token.form between kgx_merge_collocations and kgx_tag_tokens (which
 * clears it): the token is a merged phrasal verb or multi-word noun. */
enum { COLLOC_VERB = 200, COLLOC_NOUN = 201 };

struct kg_extractor {
	const wordnet *wn;
	strmap closed;
	int lem_be, lem_have, lem_do;
	cand *c;
	int ccap;
	int *closed_idx;       /* strmap id -> kgx_closed_words index */
	/* kg_analyze's scratch, so that a record is linear in its length */
	unsigned char *in_date;   /* per token: inside a date quantity */
	int *np_first;            /* per token: np_at(token), or -1 */
	int tokscap;
	uint64_t *espan;          /* entity spans seen: (start, end) + 1, 0 empty */
	size_t espancap;
};

/* A base noun phrase: tokens [t0, t1), head token, head part start. */
typedef struct np { int t0, t1, head, h0; } np;

static inline int find_closed(const kg_extractor *x, const char *w)
{
	return strmap_find(&x->closed, w, strlen(w));
}

/* kgx_closed_words entry of a strmap id: ids follow first insertion. */
static inline const closed_word *closed_at(const kg_extractor *x, int id)
{
	return &kgx_closed_words[x->closed_idx[id]];
}

static inline int is_word_tok(const kg_token *t)
{
	return t->tag != KG_PUNCT && t->tag != KG_SYM && t->tag != KG_NUM;
}

static inline int isdig(char c) { return c >= '0' && c <= '9'; }

/* ---- shared helpers (extract.c) ---- */

int kgx_numword_index(const char *w, size_t n);      /* index in kgx_numwords, or -1 */
int kgx_parse_digits(const char *s, size_t n, double *out);
size_t kgx_norm_put(kg_analysis *a, const char *s, size_t n);   /* offset in a->norm */
int kgx_cp_at(const char *s, size_t len, size_t i, int32_t *cp); /* bytes of the code point */
/* Lexicographer file of a lemma's first sense as part of speech pos, or -1. */
int kgx_lexfile(const wordnet *wn, int lemma, int pos);
/* An entity's type: KG_TYPE_NAME for a name, a noun's lexicographer file, or -1. */
int kgx_tok_type(const wordnet *wn, const kg_token *t);
/* A preposition that attaches a phrase to the noun phrase before it. */
int kgx_attach_prep(const char *w);

/* ---- the steps of kg_analyze ---- */

void kgx_merge_collocations(kg_extractor *x, kg_analysis *a);     /* extract_tag.c */
void kgx_tag_tokens(kg_extractor *x, kg_analysis *a);             /* extract_tag.c */
void kgx_find_quantities(kg_extractor *x, kg_analysis *a);        /* extract_quant.c */
void kgx_main_parts(kg_extractor *x, kg_analysis *a, const np *nps, int nnp);  /* extract_parts.c */
#endif
