/* wnvec.h — word vectors from WordNet's structure alone, for the offline
 * default: no corpus, no download, the WordNet of the wordnet-base package.
 *
 * Every synset s gets a random direction r(s) ~ N(0, I_dim), a pure function
 * of (seed, s). Its vector sums the directions of s and of its hypernym
 * ancestors (instance hypernyms too), each weighted by decay^d, d the
 * shortest number of hypernym links (up to WNVEC_MAX_DEPTH), plus half the
 * direction of each synset it points to by similar-to, also-see, derivation,
 * attribute or verb group:
 *   u(s) = sum over ancestors a of decay^d(s,a) r(a) + 1/2 sum over linked t of r(t)
 * so synonyms share u, co-hyponyms share their parents' directions, and the
 * more specific a shared ancestor the more of the vector it is. A word sums
 * its senses, every part of speech, the most frequent first at full weight
 * and the k-th at 1/k, and is normalised to unit length:
 *   v(w) = normalise( sum over pos, k of u(sense_k(w, pos)) / k )
 * Inflected forms that are not lemmas themselves (plural nouns, the -s, -ed,
 * -en and -ing forms of verbs, from the exception lists and spelling rules)
 * get the vector of their base, so "dogs" and "ran" read as "dog" and "run".
 * Multi-word lemmas are left out (the BERT basic tokenizer splits them).
 *
 * Order (frequency order, as GloVe files and SIF's weights expect): the
 * words of `order` first, in its order, then the other words by WordNet's
 * sense tag counts (highest first; ties and words without counts in byte
 * order), inflected forms right after their base.
 * Averaged over STS-B dev with SIF weights and the common component removed
 * these vectors score about what GloVe 6B does (bench/quality.md). */
#ifndef GCSE_WNVEC_H
#define GCSE_WNVEC_H
#include <stddef.h>
#include <stdint.h>

#include "kg/wordnet.h"
#include "wordvec/vectors.h"

#define WNVEC_MAX_DEPTH 8

typedef struct wnvec_opts {
	int dim;               /* vector size (default 128) */
	double decay;          /* weight per hypernym link (default 0.5) */
	uint64_t seed;         /* the synsets' directions (default 1) */
	int inflect;           /* add inflected forms (default 1) */
} wnvec_opts;
void wnvec_opts_init(wnvec_opts *o);

/* Fill wv (freed with wordvecs_free) with WordNet's words and vectors;
 * order (norder words, most frequent first, any case; NULL: none) puts
 * those words first. 0, or -1 with a message (out of memory, bad options). */
int wnvec_build(const wordnet *wn, const wnvec_opts *o, const char *const *order, int norder,
                wordvecs *wv, char *err, size_t errlen);
#endif
