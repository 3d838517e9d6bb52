/* lib/kg/: the offline augmentation (WordNet, extraction, the graph,
 * synthesis, filtering); depends on base/ and, for embedding neighbours and
 * filtering, nn/; never exits.
 *
 * extract.h — knowledge extraction from one sentence by rules and WordNet:
 * tokens with parts of speech, entities at several granularities, quantities,
 * and the main parts (theme, subject, action, state).
 *
 * No statistical tagger: closed-class words come from a built-in table,
 * open-class words from WordNet (morphy, senses, tag-count frequencies), and a
 * left-to-right pass picks a part of speech from the neighbours (a word after
 * a determiner is not a verb, a word after a modal or a subject pronoun is,
 * ...). Multi-word WordNet nouns ("ice cream") and phrasal verbs ("take off")
 * become single tokens. Capitalised words inside a sentence (or unknown to
 * WordNet at its start) form name runs.
 *
 * Offsets are byte offsets into the UTF-8 text, end exclusive. Everything is
 * deterministic and needs no state beyond the WordNet database.
 *
 *   kg_extractor *x = kg_extractor_new(wn);
 *   kg_analysis *a = kg_analysis_new();
 *   kg_analyze(x, text, len, a);        // a is reused from sentence to sentence
 *   jv ents = kg_entities_json(x, a);   // [{"text","type","start","end","lemma"?}]
 *   kg_analysis_free(a); kg_extractor_free(x); */
#ifndef GCSE_EXTRACT_H
#define GCSE_EXTRACT_H
#include "kg/wordnet.h"
#include <jv.h>
#include <stddef.h>

/* Parts of speech and closed classes. */
enum kg_tag {
	KG_OTHER, KG_PUNCT, KG_NUM, KG_SYM,
	KG_DET,      /* a the this some every no ... */
	KG_POSS,     /* my your his her its our their, and 's */
	KG_PRON,     /* I you he she it we they me him us them ... */
	KG_PREP,     /* of in on at with ... */
	KG_CONJ,     /* and or but */
	KG_SUB,      /* subordinators and wh-words: because if when that which who ... */
	KG_AUX,      /* forms of be, have, do */
	KG_MODAL,    /* can could may might must shall should will would */
	KG_NEG,      /* not n't never */
	KG_TO,       /* infinitival or prepositional "to" */
	KG_EX,       /* existential "there" */
	KG_PRT,     /* particle after a verb (up, out, off ...) */
	KG_ADV, KG_ADJ, KG_NOUN, KG_VERB, KG_NAME,
	KG_NTAGS
};
const char *kg_tag_name(int tag);

typedef struct kg_token {
	int start, end;        /* bytes in the text */
	const char *norm;      /* lowercase normal form ("n't" -> "not", "ca" -> "can"), NUL-terminated */
	uint8_t tag;           /* enum kg_tag */
	uint8_t cap;           /* starts with an uppercase letter */
	uint8_t glued;         /* no space between this token and the previous one */
	uint8_t form;          /* nouns: 1 plural; verbs and AUX: WN_VB..WN_VBG */
	uint8_t closed;        /* closed-class word (from the built-in table) */
	uint8_t person;        /* pronouns: 1 human, 2 plural (bit flags), for subjects */
	int lemma;             /* WordNet lemma id for the tag's part of speech, or -1 */
	int pos;               /* WordNet part of speech of lemma, or -1 */
	double num;            /* KG_NUM: the value (digits or number words) */
} kg_token;

enum { KG_TYPE_NAME = 100, KG_TYPE_PRONOUN = 101 };

typedef struct kg_entity {
	int start, end;        /* the whole span */
	int head;              /* token index of the head noun or the last token of a name */
	int type;              /* lexicographer file (noun.*) or KG_TYPE_NAME */
	int lemma;             /* WordNet lemma of the head, or -1 */
} kg_entity;

typedef struct kg_quantity {
	int start, end;
	int tok0, tok1;        /* token range [tok0, tok1) */
	int numtok;            /* the token holding the number (first one for number words) */
	double value;
	int has_value;
	char unit[48];         /* "" when none */
	char date[40];         /* dates: "YYYY-MM-DD", "YYYY-MM", "--MM-DD" or "" */
	uint8_t words;         /* the number is written in words */
} kg_quantity;

/* A main part: a span, its head token, WordNet lemma and type. */
typedef struct kg_part {
	int present;
	int start, end;        /* span */
	int tok0, tok1;        /* token range [tok0, tok1) */
	int head;              /* head token */
	int lemma, pos;        /* WordNet lemma of the head and its part of speech, or -1 */
	int type;              /* lexicographer file, KG_TYPE_NAME, KG_TYPE_PRONOUN, or -1 */
} kg_part;

typedef struct kg_parts {
	int theme;             /* lexicographer file, or -1 */
	kg_part subject, action, state;
	double count;          /* subject count; valid when has_count */
	int has_count;
	int count_qty;         /* quantity index giving the count, or -1 */
	int plural;            /* subject is plural */
	int negated;           /* the main verb group is negated */
	int vg0, vg1;          /* the main verb group's tokens [vg0, vg1) (auxiliaries, negation, verb) */
	int existential;       /* "there is/are ..." */
	int coordinated;       /* the subject is "X and Y" (plural, no count) */
} kg_parts;

typedef struct kg_analysis {
	const char *text;
	size_t len;
	kg_token *tok;
	int ntok, tokcap;
	kg_entity *ent;
	int nent, entcap;
	kg_quantity *qty;
	int nqty, qtycap;
	kg_parts parts;
	char *norm;            /* storage for token norms */
	size_t normlen, normcap;
} kg_analysis;

typedef struct kg_extractor kg_extractor;

kg_extractor *kg_extractor_new(const wordnet *wn);
void kg_extractor_free(kg_extractor *x);
const wordnet *kg_extractor_wordnet(const kg_extractor *x);
kg_analysis *kg_analysis_new(void);
void kg_analysis_free(kg_analysis *a);

/* Analyse one sentence (any UTF-8 text; it is not copied: keep it alive while
 * a is in use). */
void kg_analyze(kg_extractor *x, const char *text, size_t len, kg_analysis *a);

/* Type name: a lexicographer file ("noun.person"), "name", "pronoun", or NULL. */
const char *kg_type_name(int type);

/* The node text of an entity or a part for the knowledge graph: the WordNet
 * lemma of the head ("dog" for "two big dogs"), or the text of a name as
 * written. Writes a NUL-terminated string; returns its length (0: none). */
size_t kg_entity_node(const kg_analysis *a, const kg_entity *e, const wordnet *wn, char *out, size_t cap);
size_t kg_part_node(const kg_analysis *a, const kg_part *p, const wordnet *wn, char *out, size_t cap);

/* JSON (new values, for the record fields):
 *   entities:   [{"text","type","start","end","lemma"?}]        (lemma: WordNet head lemma)
 *   quantities: [{"text","value","unit","start","end","date"?}] (value/unit null when none)
 *   parts:      {"theme", "subject", "action", "state"}
 *     subject:  {"text","type","count","number","lemma","start","end"} or null
 *     action:   {"text","lemma","type","negated","start","end"} or null (text: the whole verb group)
 *     state:    {"text","lemma","pos","type","start","end"} or null */
jv kg_entities_json(const kg_extractor *x, const kg_analysis *a);
jv kg_quantities_json(const kg_extractor *x, const kg_analysis *a);
jv kg_parts_json(const kg_extractor *x, const kg_analysis *a);

/* Parse a number written in digits ("1,234.5", "3") or a number-word
 * sequence ("twenty-five", "two hundred and ten", "a dozen"); 1 on success. */
int kg_parse_number(const char *s, size_t n, double *out);
/* English words for 0..999999 ("forty-two"); digits beyond. Returns length. */
int kg_number_words(long v, char *out, size_t cap);
#endif
