/* kgembed.h — the embedding neighbour scorer of the knowledge graph
 * (kgextract --model DIR): nodes are related by the cosine of the sentence
 * embeddings of their texts, as in the GCSE method (METHOD.md §2).
 *
 * prepare embeds the node texts of a group once, in one encoder_embed call
 * (the encoder batches them), scales each vector to unit length, and finds
 * every member's top k by blocks of rows of the cosine matrix (a GEMM
 * product of BLOCK x n at a time, so memory stays O(n d + BLOCK n)); k is
 * k_entity for entity groups, k_part for part groups. neighbors then hands
 * out that list. Only positive cosines count (the graph keeps scores in
 * (0, 1]). Ties go to the node that sorts first by text, as the graph's own
 * order does, so the result is deterministic and does not depend on the
 * thread count or the encoder's batch size (the encoder's vectors do not).
 *
 *   kg_scorer sc;
 *   kg_embed_scorer_init(&sc, enc, k_entity, k_part);
 *   kg_graph_build(g, &sc, k_entity, k_part);
 *   if (kg_embed_scorer_error(&sc)) die(...);
 *   kg_embed_scorer_free(&sc); */
#ifndef GCSE_KGEMBED_H
#define GCSE_KGEMBED_H
#include "nn/encoder.h"
#include "kg/kggraph.h"

/* enc is borrowed (keep it open while the scorer is in use). */
void kg_embed_scorer_init(kg_scorer *s, encoder *enc, int k_entity, int k_part);
/* The first error (an encoder failure), or NULL. */
const char *kg_embed_scorer_error(const kg_scorer *s);
/* Texts embedded so far, and how many of them were cut at the model's
 * maximum length. */
long kg_embed_scorer_count(const kg_scorer *s, long *ntruncated);
void kg_embed_scorer_free(kg_scorer *s);

/* The top k of one row of scores (n entries; skip index self; only scores
 * > 0): indices into idx[0..k) and scores into sc, best first, ties by
 * lower index. Returns how many (<= k). Exposed for tests. */
int kg_top_k(const float *row, int n, int self, int k, int *idx, float *sc);
#endif
