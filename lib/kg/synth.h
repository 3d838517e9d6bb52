/* synth.h — rule-based positives and negatives for a sentence (METHOD.md §3),
 * from WordNet and, when given, the knowledge graph of kgextract.
 *
 * Kinds (the family of rules that made a candidate):
 *   positives  rewrite       a structural rewrite: fronting or moving back a
 *                            prepositional phrase, swapping coordinated noun
 *                            phrases, moving an adverb, passive voice,
 *                            contraction / expansion, dropping an intensifier;
 *                            a synonym may be substituted as well
 *              synonym       synonym substitution only (same synset)
 *              related_swap  an entity or main part replaced by a related node:
 *                            a graph neighbour, or a WordNet neighbour, never the
 *                            nearest when there are several (the k-th, k random)
 *   negatives  contradiction negation of the main verb (or its removal), or an
 *                            antonym
 *              entity_swap   an entity or the action replaced by a random node
 *                            of the same type (never a synonym)
 *              quantity      the subject's count changed (0-50 with p 0.4, else
 *                            51-10000) with agreement, else another quantity
 * and, from a word's senses (its sense in the sentence: the WordNet sense
 * whose example sentences hold the sentence, rule "example_sense", the first
 * such word taken; else a random open word's first sense, "first_sense"):
 *   positives  gloss         the word replaced by its sense's definition
 *                            ("the team is a unit" -> "... is a single
 *                            undivided natural thing ..."), a verb's first
 *                            word inflected like it
 *              sense_synonym another word of the sense, rare ones too
 *                            ("the science of shape" -> "... of form")
 *   negatives  sense_swap    the word replaced by a word of another of its
 *                            senses, never one of the sentence's sense
 *                            ("mathematical science of shape" -> "... of
 *                            physique")
 *              gloss_swap    the word replaced by another sense's definition
 * These are in no default mix (--positive-mix / --negative-mix; the offline
 * demo uses them, bench/quality.md).
 * Shares per sample (the rule path's mix, METHOD.md's by default): positive
 * 70% rewrite, 30% related_swap; negative 70% contradiction, 15%
 * entity_swap, 15% quantity (KG_MIX_POSITIVE, KG_MIX_NEGATIVE). When the
 * planned family cannot apply, the other families of the mix are tried in
 * the mix's order (synonym is a fallback of the positives with share 0:
 * rewrite -> synonym -> related_swap, related_swap -> rewrite -> synonym)
 * and the candidate records the planned kind as `fallback`. A mix may put
 * any family on either side (kg_synth_set_mix): a candidate's role is the
 * side of the mix it was drawn from, e.g. a related_swap among the
 * negatives ("rides" -> "runs": close in form, another meaning).
 *
 * Inflection is kept: plural nouns, verb tenses (WordNet exception lists
 * and spelling rules), a/an, sentence capitals. Every candidate differs from
 * the anchor and from the record's other candidates, and is one line of
 * plain text (control characters and runs of blanks become one space).
 *
 * Randomness: a record's generator is seeded from (seed, FNV-1a of its text),
 * so a record gets the same candidates wherever it stands in the input. */
#ifndef GCSE_SYNTH_H
#define GCSE_SYNTH_H
#include "kg/extract.h"
#include "kg/kggraph.h"
#include "base/rng.h"
#include <stdint.h>

enum kg_kind {
	KG_REWRITE, KG_SYNONYM, KG_RELATED_SWAP,
	KG_CONTRADICTION, KG_ENTITY_SWAP, KG_QUANTITY,
	KG_GLOSS, KG_SENSE_SYNONYM, KG_SENSE_SWAP, KG_GLOSS_SWAP,
	KG_NKINDS
};
enum { KG_POSITIVE, KG_NEGATIVE };

typedef struct kg_candidate {
	char *text;
	int role;              /* KG_POSITIVE or KG_NEGATIVE: the mix it was drawn for */
	int kind;              /* enum kg_kind: what was done */
	int planned;           /* the kind drawn by the shares (== kind unless a fallback) */
	const char *rule;      /* the rule inside the family, e.g. "negation", "front_pp" */
} kg_candidate;

typedef struct kg_synth kg_synth;

/* A mix of families for one role: kinds with their shares (normalised to
 * sum 1; a share of 0 makes a fallback only). Written as
 * "kind:share,kind:share", e.g. KG_MIX_POSITIVE. */
typedef struct kg_mix {
	int n;
	int kind[KG_NKINDS];
	double share[KG_NKINDS];
} kg_mix;
#define KG_MIX_POSITIVE "rewrite:0.7,synonym:0,related_swap:0.3"
#define KG_MIX_NEGATIVE "contradiction:0.7,entity_swap:0.15,quantity:0.15"
/* 0, or -1 with a message (unknown or repeated family, bad share, nothing
 * above 0). A family without ":share" has share 1. */
int kg_mix_parse(kg_mix *m, const char *spec, char *err, size_t errlen);
/* The rule path's mix for role (KG_POSITIVE or KG_NEGATIVE). */
void kg_synth_set_mix(kg_synth *s, int role, const kg_mix *m);

const char *kg_kind_name(int kind);
int kg_kind_role(int kind);

/* g may be NULL (WordNet alone). Neither is copied: keep them alive. */
kg_synth *kg_synth_new(const wordnet *wn, kg_graph *g);
void kg_synth_free(kg_synth *s);

/* n positives and n negatives for one sentence (positives first). Returns
 * the number made (0..2n); the array and its texts belong to s until the
 * next call. *npos and *nneg (may be NULL) get the counts per role. */
int kg_synth_record(kg_synth *s, const char *text, size_t len, uint64_t seed, int n,
                    const kg_candidate **out, int *npos, int *nneg);

/* One candidate of one kind with the given generator, no fallback: 1 and a
 * malloc'ed text in *out (and the rule name), or 0 when the kind cannot
 * apply to this sentence. */
int kg_synth_kind(kg_synth *s, const char *text, size_t len, int kind, rng *r, char **out,
                  const char **rule);

/* ---- plans for the LLM path (kgsynth --llm) ----
 * The same random choices as the rule path, made by the same procedures,
 * but handed to a prompt instead of a rule: the family by the shares above,
 * a style for rewrites and contradictions, the target and its replacement
 * for swaps (related: the k-th usable graph neighbour, never the nearest
 * when there are several, else a WordNet neighbour; entity swap: a random
 * node of the same type, never a synonym), the new subject count for
 * quantities (0-50 with p 0.4, else 51-10000, not the old count). A family
 * that cannot apply falls back along the same chains as the rule path
 * (related_swap -> rewrite; entity_swap -> contradiction; quantity ->
 * contradiction -> entity_swap); rewrites and contradictions always apply.
 * The requests of one record all differ (styles, targets and counts are not
 * reused within a record), since identical requests would get one answer.
 * The generator is seeded from (seed, text) on its own stream, so the plans
 * depend only on the seed and the text. */
enum { KG_STYLE_MAX = 192, KG_SPAN_MAX = 256 };

typedef struct kg_plan {
	int role;                   /* KG_POSITIVE or KG_NEGATIVE */
	int kind;                   /* KG_REWRITE, KG_RELATED_SWAP, KG_CONTRADICTION,
	                               KG_ENTITY_SWAP or KG_QUANTITY: the prompt to use */
	int planned;                /* the kind drawn by the shares */
	char style[KG_STYLE_MAX];   /* rewrite, contradiction: {{style}} */
	char old[KG_SPAN_MAX];      /* swaps: {{old}}, the span as it appears */
	char repl[KG_SPAN_MAX];     /* swaps: {{new}}, the node put in its place */
	char subject[KG_SPAN_MAX];  /* quantity: {{subject}}, its noun phrase up to the head,
	                               as it appears ("A man" of "A man on skis") */
	long count;                 /* quantity: {{count}} */
} kg_plan;

/* The prompt file (without .txt) of a plan's kind: "kgsynth-rewrite",
 * "kgsynth-related", "kgsynth-contradict", "kgsynth-swap",
 * "kgsynth-quantity"; NULL for KG_SYNONYM and bad kinds. */
const char *kg_prompt_name(int kind);
/* n positive plans then n negative plans into out[0..2n). Returns 2n. */
int kg_synth_plan(kg_synth *s, const char *text, size_t len, uint64_t seed, int n, kg_plan *out);
#endif
