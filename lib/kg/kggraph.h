/* kggraph.h — the knowledge graph of kgextract / kgsynth: entity nodes
 * grouped by type, main-part nodes grouped by role, each with its frequency
 * and its nearest neighbours within its group.
 *
 * Nodes are added while a corpus is read (kg_graph_add counts occurrences),
 * then kg_graph_build asks a neighbour scorer for scored candidates of every
 * node and keeps the top k per node (entities and parts have their own k).
 * The scorer is a plug-in: kg_wordnet_scorer scores by WordNet relatedness
 * (synonyms, hypernyms, co-hyponyms, cousins: Wu-Palmer through the shared
 * ancestor); an embedding scorer (cosine of node-text embeddings) fits the
 * same interface.
 *
 * File format (NDJSON, one node per line, entities first, then parts; each
 * sorted by group then node text, bytewise):
 *   {"node":"dog","type":"noun.animal","freq":3,
 *    "neighbors":[{"node":"cat","score":0.8571},...]}
 *   {"node":"ride","role":"action","pos":"v","theme":"verb.motion","freq":2,
 *    "neighbors":[...]}
 * "pos" (n, v, a, r) and "theme" are present when known; scores are rounded
 * to 4 decimals; neighbours are sorted by score (highest first), then node
 * text. */
#ifndef GCSE_KGGRAPH_H
#define GCSE_KGGRAPH_H
#include "kg/wordnet.h"
#include <stdio.h>

enum { KG_ENTITY = 0, KG_PART = 1 };

typedef struct kg_nb { int node; double score; } kg_nb;

typedef struct kg_node {
	int kind;              /* KG_ENTITY or KG_PART */
	int group;             /* group id: the type of an entity, the role of a part */
	const char *text;      /* node text, NUL-terminated */
	int pos;               /* WordNet part of speech of lemma, or -1 */
	int lemma;             /* WordNet lemma id, or -1 */
	long freq;
	int theme;             /* parts: the most frequent theme (lexicographer file), or -1 */
	int nnb;
	kg_nb *nb;             /* neighbours, best first */
	int *themes;           /* parts while building: counts per lexicographer file */
} kg_node;

typedef struct kg_graph kg_graph;

/* A neighbour scorer. prepare is called once per group with its member
 * nodes (sorted by text) before neighbors is asked about each member i
 * (an index into members); neighbors writes up to cap candidates (node ids,
 * any order, the node itself excluded) with scores in (0, 1] and returns
 * how many. The graph sorts them and keeps the top k. */
typedef struct kg_scorer {
	const char *name;
	void *ctx;
	void (*prepare)(void *ctx, const kg_graph *g, const int *members, int n);
	int (*neighbors)(void *ctx, const kg_graph *g, const int *members, int n, int i,
	                 kg_nb *out, int cap);
} kg_scorer;

kg_graph *kg_graph_new(void);
void kg_graph_free(kg_graph *g);

/* Count one occurrence of a node (created on first sight; pos, lemma are
 * kept from the first). theme: a lexicographer file or -1 (parts only).
 * Returns the node id. */
int kg_graph_add(kg_graph *g, int kind, const char *group, const char *text, int pos, int lemma,
                 int theme);
/* Node id, or -1. */
int kg_graph_find(const kg_graph *g, int kind, const char *group, const char *text);
int kg_graph_nnodes(const kg_graph *g);
const kg_node *kg_graph_node(const kg_graph *g, int id);
int kg_graph_ngroups(const kg_graph *g);
const char *kg_graph_group_name(const kg_graph *g, int group);
int kg_graph_group_kind(const kg_graph *g, int group);
/* Group id of a name, or -1. */
int kg_graph_group(const kg_graph *g, int kind, const char *name);
/* Members of a group, sorted by text (bytewise); returns the count. */
int kg_graph_members(kg_graph *g, int group, const int **out);

/* Neighbours of every node: top k_entity for entities, k_part for parts. */
void kg_graph_build(kg_graph *g, const kg_scorer *s, int k_entity, int k_part);
/* Write the graph as NDJSON; 0, or -1 on a write error (errno set). */
int kg_graph_write(kg_graph *g, FILE *f);
/* Read a graph file (plain or gzip). Neighbours that are not nodes of the
 * file become nodes of frequency 0. NULL with "FILE:LINE: what" in err on
 * error. With wn, lemma ids are looked up again from the node texts. */
kg_graph *kg_graph_read(const char *path, const wordnet *wn, char *err, size_t errlen);

/* The WordNet relatedness scorer: a node's first sense (its lemma as pos),
 * its ancestors up to 3 steps; two nodes sharing an ancestor A, da and db
 * steps above them, score wn_wup_through(A, da, db) (1 for synonyms). */
void kg_wordnet_scorer_init(kg_scorer *s, const wordnet *wn);
void kg_wordnet_scorer_free(kg_scorer *s);
#endif
