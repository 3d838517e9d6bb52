/* kgllm.h — kgextract --llm: an LLM's extraction answer (LLM_SHAPE_KGEXTRACT:
 * {"entities", "quantities", "parts"}) made into the record fields of the
 * rule path, with byte offsets found in the sentence itself, and its nodes
 * added to the knowledge graph the way the rule path adds its own.
 *
 * The answer is untrusted: every span is looked up in the sentence (exact
 * occurrences first, then ASCII case-insensitive ones, as llm_locate does;
 * surrounding blanks and a trailing punctuation mark may go); a span that is
 * not there is left out and listed in *unlocated, never guessed. A span named twice
 * takes its next occurrence (a quantity: preferably one that overlaps no
 * quantity found before); one named more often than it occurs is a repeat
 * and is merged (counted). Heads and WordNet lemmas come from the rule
 * analysis of the same sentence (tokens inside the span), so that node texts
 * match those of kgsynth's targets ("dog" for "two big dogs").
 *
 *   kg_analyze(x, text, len, a);
 *   jv ents, qtys, parts, unloc = jv_array();
 *   int rep = kg_llm_fields(x, a, answer, &ents, &qtys, &parts, &unloc);
 *   if (g) kg_llm_add_nodes(g, wn, a, ents, parts);
 *
 * Fields (a subset of the rule path's, same names):
 *   entities:   [{"text","type","start","end","lemma"?}]   sorted by start, longer first
 *   quantities: [{"text","value","unit","start","end"}]  (value, unit null when none)
 *   parts:      {"theme", "subject", "action", "state"}  (each null when absent)
 *     subject:  {"text","type","count","lemma"?,"start","end"}
 *     action:   {"text","lemma"?,"start","end"}
 *     state:    {"text","lemma"?,"start","end"}
 * Types: a WordNet lexicographer name ("noun.person") when the model gave one
 * or its short form ("person"), "name", else the model's word as given. */
#ifndef GCSE_KGLLM_H
#define GCSE_KGLLM_H
#include "kg/extract.h"
#include "kg/kggraph.h"
#include <jv.h>
#include <stddef.h>

/* The default max_tokens of an answer (--max-tokens overrides), from the
 * sentence's length in bytes. An extraction repeats the sentence's spans,
 * at several granularities (about 3 times its tokens, a token being about 4
 * bytes of English) around a fixed JSON frame: 512 + 1 per byte. A kgsynth
 * candidate is one sentence at most 2x + 20 bytes the anchor's
 * (llm_check_text) in {"text": ...}: 128 + 1 per 2 bytes. */
#define KG_LLM_EXTRACT_TOKENS(bytes) (512 + (long)(bytes))
#define KG_LLM_SYNTH_TOKENS(bytes) (128 + (long)(bytes) / 2)

/* The types the prompt offers ({{types}}): the noun lexicographer files but
 * noun.Tops, then "name" (malloc'ed, comma-separated). */
char *kg_llm_types(void);
/* Normalise a type: writes the name to use into out and returns its
 * lexicographer file, KG_TYPE_NAME, or -1 for a word of the model's own. */
int kg_llm_type(const char *t, char *out, size_t cap);
/* The fields of an answer (borrowed). New values in *ents, *qtys, *parts;
 * spans not found appended to *unlocated (strings). Returns the number of
 * repeated spans merged. */
int kg_llm_fields(const kg_extractor *x, const kg_analysis *a, jv answer, jv *ents, jv *qtys,
                  jv *parts, jv *unlocated);
/* The content check of an extraction answer (an llm_check_fn; sentence: the
 * record's text, const char *): its spans (entities' and quantities' texts,
 * the subject's text, the action, the state) are looked up in the sentence
 * as kg_llm_fields does; when more than half of them are not there, the
 * answer is LLM_R_SPANS (invalid: asked again, then the rules) rather than
 * a record of left-out spans. Empty types and absurd counts are the shape's
 * business (LLM_SHAPE_KGEXTRACT: "nonempty", "count"). */
int kg_llm_check(jv answer, void *sentence, char *err, size_t errlen);
/* Add the nodes of fields made by kg_llm_fields (borrowed) to g: entities by
 * type (node: the head's WordNet lemma, or the name as written), subject /
 * action / state heads by role; each entity node once per record. */
void kg_llm_add_nodes(kg_graph *g, const wordnet *wn, const kg_analysis *a, jv ents, jv parts);
/* Head token of a span [start, end) of the analysed text: want 'n' (the last
 * noun or name of the first noun group), 'v' (the last verb), 's' (the last
 * adjective or noun before a preposition). -1 when none. */
int kg_span_head(const kg_analysis *a, int start, int end, int want);
#endif
