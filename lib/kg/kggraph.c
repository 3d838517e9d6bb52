/* kggraph.c — knowledge graph nodes, neighbours, file I/O; see kggraph.h. */
#include "kg/kggraph.h"
#include "base/err.h"
#include "base/cli.h"
#include "base/ndjson.h"
#include "base/strmap.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct kg_group {
	int kind;
	char *name;
	int *member;
	int n, cap;
	int sorted;
} kg_group;

struct kg_graph {
	kg_node *node;
	int nnode, nodecap;
	strmap keys;           /* "K\tgroup\ttext" -> node id */
	kg_group *group;
	int ngroup, groupcap;
	strmap groups;         /* "K\tgroup" -> group id */
};

kg_graph *kg_graph_new(void)
{
	kg_graph *g = xcalloc(1, sizeof *g);
	strmap_init(&g->keys);
	strmap_init(&g->groups);
	return g;
}

void kg_graph_free(kg_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->nnode; i++) {
		free((char *)g->node[i].text);
		free(g->node[i].nb);
		free(g->node[i].themes);
	}
	for (int i = 0; i < g->ngroup; i++) {
		free(g->group[i].name);
		free(g->group[i].member);
	}
	free(g->node);
	free(g->group);
	strmap_free(&g->keys);
	strmap_free(&g->groups);
	free(g);
}

static char *key3(int kind, const char *group, const char *text, size_t *n)
{
	size_t gl = strlen(group), tl = text ? strlen(text) : 0;
	char *k = xmalloc(gl + tl + 4);
	k[0] = kind == KG_ENTITY ? 'E' : 'P';
	k[1] = '\t';
	memcpy(k + 2, group, gl);
	*n = gl + 2;
	if (text) {
		k[gl + 2] = '\t';
		memcpy(k + gl + 3, text, tl);
		*n = gl + tl + 3;
	}
	k[*n] = 0;
	return k;
}

/* The id of a key of m (key3), or -1. */
static int key_find(const strmap *m, int kind, const char *group, const char *text)
{
	size_t n;
	char *k = key3(kind, group, text, &n);
	int id = strmap_find(m, k, n);
	free(k);
	return id;
}

/* The id of a key of m (key3), added if new (*added then 1). */
static int key_intern(strmap *m, int kind, const char *group, const char *text, int *added)
{
	size_t n;
	char *k = key3(kind, group, text, &n);
	uint32_t before = m->n;
	int id = strmap_intern(m, k, n);
	free(k);
	*added = m->n != before;
	return id;
}

int kg_graph_group(const kg_graph *g, int kind, const char *name)
{
	return key_find(&g->groups, kind, name, NULL);
}

static int group_id(kg_graph *g, int kind, const char *name)
{
	int added;
	int id = key_intern(&g->groups, kind, name, NULL, &added);
	if (added) {
		if (g->ngroup == g->groupcap) {
			g->groupcap = g->groupcap ? g->groupcap * 2 : 16;
			g->group = xrealloc(g->group, (size_t)g->groupcap * sizeof *g->group);
		}
		kg_group *gr = &g->group[g->ngroup++];
		memset(gr, 0, sizeof *gr);
		gr->kind = kind;
		gr->name = xstrdup(name);
	}
	return id;
}

int kg_graph_find(const kg_graph *g, int kind, const char *group, const char *text)
{
	return key_find(&g->keys, kind, group, text);
}

int kg_graph_add(kg_graph *g, int kind, const char *group, const char *text, int pos, int lemma,
                 int theme)
{
	int added;
	int id = key_intern(&g->keys, kind, group, text, &added);
	if (added) {
		int gid = group_id(g, kind, group);
		if (g->nnode == g->nodecap) {
			g->nodecap = g->nodecap ? g->nodecap * 2 : 256;
			g->node = xrealloc(g->node, (size_t)g->nodecap * sizeof *g->node);
		}
		kg_node *nd = &g->node[g->nnode++];
		memset(nd, 0, sizeof *nd);
		nd->kind = kind;
		nd->group = gid;
		nd->text = xstrdup(text);
		nd->pos = pos;
		nd->lemma = lemma;
		nd->theme = -1;
		kg_group *gr = &g->group[gid];
		if (gr->n == gr->cap) {
			gr->cap = gr->cap ? gr->cap * 2 : 16;
			gr->member = xrealloc(gr->member, (size_t)gr->cap * sizeof *gr->member);
		}
		gr->member[gr->n++] = id;
		gr->sorted = 0;
	}
	kg_node *nd = &g->node[id];
	nd->freq++;
	if (kind == KG_PART && theme >= 0 && theme < 45) {
		if (!nd->themes)
			nd->themes = xcalloc(45, sizeof *nd->themes);
		nd->themes[theme]++;
		int best = -1;
		for (int t = 0; t < 45; t++)
			if (nd->themes[t] && (best < 0 || nd->themes[t] > nd->themes[best]))
				best = t;
		nd->theme = best;
	}
	return id;
}

int kg_graph_nnodes(const kg_graph *g) { return g->nnode; }
const kg_node *kg_graph_node(const kg_graph *g, int id) { return &g->node[id]; }
int kg_graph_ngroups(const kg_graph *g) { return g->ngroup; }
const char *kg_graph_group_name(const kg_graph *g, int group) { return g->group[group].name; }
int kg_graph_group_kind(const kg_graph *g, int group) { return g->group[group].kind; }

static const kg_graph *sort_graph;

static int cmp_member(const void *x, const void *y)
{
	return strcmp(sort_graph->node[*(const int *)x].text, sort_graph->node[*(const int *)y].text);
}

int kg_graph_members(kg_graph *g, int group, const int **out)
{
	kg_group *gr = &g->group[group];
	if (!gr->sorted) {
		sort_graph = g;
		qsort(gr->member, (size_t)gr->n, sizeof *gr->member, cmp_member);
		gr->sorted = 1;
	}
	*out = gr->member;
	return gr->n;
}

static int cmp_nb(const void *x, const void *y)
{
	const kg_nb *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(sort_graph->node[a->node].text, sort_graph->node[b->node].text);
}

/* The group ids by kind, then name (malloc'ed). */
static int *group_order(const kg_graph *g)
{
	int *order = xmalloc((size_t)(g->ngroup + 1) * sizeof *order);
	for (int i = 0; i < g->ngroup; i++)
		order[i] = i;
	for (int i = 1; i < g->ngroup; i++)
		for (int j = i; j > 0; j--) {
			const kg_group *a = &g->group[order[j - 1]], *b = &g->group[order[j]];
			if (a->kind < b->kind || (a->kind == b->kind && strcmp(a->name, b->name) <= 0))
				break;
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return order;
}

void kg_graph_build(kg_graph *g, const kg_scorer *s, int k_entity, int k_part)
{
	int cap = 1 << 14;
	kg_nb *buf = xmalloc((size_t)cap * sizeof *buf);
	/* groups in name order, for a deterministic call sequence */
	int *order = group_order(g);
	for (int oi = 0; oi < g->ngroup; oi++) {
		int gi = order[oi];
		const int *mem;
		int n = kg_graph_members(g, gi, &mem);
		int k = g->group[gi].kind == KG_ENTITY ? k_entity : k_part;
		if (s->prepare)
			s->prepare(s->ctx, g, mem, n);
		for (int i = 0; i < n; i++) {
			kg_node *nd = &g->node[mem[i]];
			free(nd->nb);
			nd->nb = NULL;
			nd->nnb = 0;
			if (k <= 0)
				continue;
			int m = s->neighbors(s->ctx, g, mem, n, i, buf, cap);
			int w = 0;
			for (int j = 0; j < m; j++)
				if (buf[j].node != mem[i] && buf[j].score > 0)
					buf[w++] = buf[j];
			sort_graph = g;
			qsort(buf, (size_t)w, sizeof *buf, cmp_nb);
			if (w > k)
				w = k;
			nd->nnb = w;
			nd->nb = w ? xmalloc((size_t)w * sizeof *nd->nb) : NULL;
			if (w)
				memcpy(nd->nb, buf, (size_t)w * sizeof *buf);
		}
	}
	free(order);
	free(buf);
}

/* ---- file ---- */

static double round4(double x)
{
	return round(x * 1e4) / 1e4;
}

static jv node_json(const kg_graph *g, const kg_node *nd)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("node"), jv_string(nd->text));
	if (nd->kind == KG_ENTITY)
		o = jv_object_set(o, jv_string("type"), jv_string(g->group[nd->group].name));
	else {
		o = jv_object_set(o, jv_string("role"), jv_string(g->group[nd->group].name));
		if (nd->pos >= 0) {
			char pc[2] = {wn_pos_char(nd->pos), 0};
			o = jv_object_set(o, jv_string("pos"), jv_string(pc));
		}
		if (nd->theme >= 0)
			o = jv_object_set(o, jv_string("theme"), jv_string(wn_lexname(nd->theme)));
	}
	o = jv_object_set(o, jv_string("freq"), jv_number((double)nd->freq));
	jv nb = jv_array();
	for (int j = 0; j < nd->nnb; j++) {
		jv e = jv_object();
		e = jv_object_set(e, jv_string("node"), jv_string(g->node[nd->nb[j].node].text));
		e = jv_object_set(e, jv_string("score"), jv_number(round4(nd->nb[j].score)));
		nb = jv_array_append(nb, e);
	}
	return jv_object_set(o, jv_string("neighbors"), nb);
}

int kg_graph_write(kg_graph *g, FILE *f)
{
	int *order = group_order(g);
	strbuf sb = {0};
	int ok = 1;
	for (int oi = 0; oi < g->ngroup && ok; oi++) {
		const int *mem;
		int n = kg_graph_members(g, order[oi], &mem);
		for (int i = 0; i < n && ok; i++) {
			jv o = node_json(g, &g->node[mem[i]]);
			sb.len = 0;
			sb_json(&sb, o);
			jv_free(o);
			sb_putc(&sb, '\n');
			if (fwrite(sb.s, 1, sb.len, f) != sb.len)
				ok = 0;
		}
	}
	free(sb.s);
	free(order);
	if (fflush(f) != 0 || ferror(f))
		ok = 0;
	return ok ? 0 : -1;
}

/* One line from a gz stream into a growing buffer; 0 at EOF. */
static int gz_line(gzFile z, char **buf, size_t *cap, size_t *len)
{
	size_t n = 0;
	if (!*buf) {
		*cap = 4096;
		*buf = xmalloc(*cap);
	}
	for (;;) {
		if (*cap - n < 2) {
			*cap *= 2;
			*buf = xrealloc(*buf, *cap);
		}
		if (!gzgets(z, *buf + n, (int)((*cap - n) > 1 << 30 ? 1 << 30 : (*cap - n))))
			break;
		n += strlen(*buf + n);
		if (n && (*buf)[n - 1] == '\n')
			break;
	}
	*len = n;
	return n > 0;
}

static const char *str_field(jv o, const char *k, jv *keep)
{
	jv v = jv_object_get(jv_copy(o), jv_string(k));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	*keep = v;
	return jv_string_value(v);
}

kg_graph *kg_graph_read(const char *path, const wordnet *wn, char *err, size_t errlen)
{
	gzFile z = gzopen(path, "rb");
	if (!z) {
		seterr(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
		return NULL;
	}
	kg_graph *g = kg_graph_new();
	char *buf = NULL;
	size_t cap = 0, len;
	long lineno = 0;
	/* neighbours are resolved after every node is known */
	typedef struct pend { int node; char *text; double score; } pend;
	pend *pd = NULL;
	size_t npd = 0, pdcap = 0;
	int *nbstart = NULL;
	int ok = 1;
	while (ok && gz_line(z, &buf, &cap, &len)) {
		lineno++;
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		size_t b = 0;
		while (b < len && (buf[b] == ' ' || buf[b] == '\t'))
			b++;
		if (b == len)
			continue;
		jv o = jv_parse_sized(buf, (int)len);
		if (!jv_is_valid(o)) {
			jv m = jv_invalid_get_msg(o);
			seterr(err, errlen, "%s:%ld: bad JSON: %s", path, lineno,
			       jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "parse error");
			jv_free(m);
			ok = 0;
			break;
		}
		if (jv_get_kind(o) != JV_KIND_OBJECT) {
			seterr(err, errlen, "%s:%ld: not a JSON object", path, lineno);
			jv_free(o);
			ok = 0;
			break;
		}
		jv k1 = jv_null(), k2 = jv_null(), k3 = jv_null(), k4 = jv_null();
		const char *node = str_field(o, "node", &k1);
		const char *type = str_field(o, "type", &k2);
		const char *role = str_field(o, "role", &k3);
		const char *pos = str_field(o, "pos", &k4);
		jv th = jv_null();
		const char *theme = str_field(o, "theme", &th);
		jv fq = jv_object_get(jv_copy(o), jv_string("freq"));
		jv nb = jv_object_get(jv_copy(o), jv_string("neighbors"));
		const char *what = NULL;
		/* the names become C strings, which would end at a NUL */
		static const char *const names[] = {"node", "type", "role", "pos", "theme"};
		jv *named[] = {&k1, &k2, &k3, &k4, &th};
		int nul = -1;
		for (int j = 0; j < 5 && nul < 0; j++)
			if (jv_get_kind(*named[j]) == JV_KIND_STRING && ndjson_nul_at(*named[j]) >= 0)
				nul = j;
		char nulmsg[64];
		if (nul >= 0) {
			snprintf(nulmsg, sizeof nulmsg, "field \"%s\": \\u0000 (NUL) not allowed", names[nul]);
			what = nulmsg;
		} else if (!node)
			what = "field \"node\": missing or not a string";
		else if (!type == !role)
			what = "expected exactly one of \"type\" (entity) and \"role\" (part)";
		else if (jv_get_kind(fq) != JV_KIND_NUMBER && jv_get_kind(fq) != JV_KIND_INVALID &&
		         jv_get_kind(fq) != JV_KIND_NULL)
			what = "field \"freq\": expected number";
		else if (jv_get_kind(nb) != JV_KIND_ARRAY && jv_get_kind(nb) != JV_KIND_INVALID &&
		         jv_get_kind(nb) != JV_KIND_NULL)
			what = "field \"neighbors\": expected array";
		if (what) {
			seterr(err, errlen, "%s:%ld: %s", path, lineno, what);
			ok = 0;
		} else {
			int kind = type ? KG_ENTITY : KG_PART;
			int p = pos && pos[0] && !pos[1] ? wn_pos_from_char(pos[0]) : -1;
			if (p < 0)
				p = kind == KG_ENTITY ? WN_NOUN : -1;
			int lemma = -1;
			if (wn) {
				lemma = wn_lookup(wn, node, strlen(node));
				const uint32_t *s;
				if (lemma >= 0 && (p < 0 || !wn_senses(wn, lemma, p, &s)))
					lemma = -1;
			}
			int id = kg_graph_find(g, kind, type ? type : role, node);
			if (id >= 0 && g->node[id].freq > 0) {
				seterr(err, errlen, "%s:%ld: duplicate node \"%s\"", path, lineno, node);
				ok = 0;
			} else {
				id = kg_graph_add(g, kind, type ? type : role, node, lemma >= 0 ? p : p, lemma, -1);
				kg_node *nd = &g->node[id];
				nd->freq = jv_get_kind(fq) == JV_KIND_NUMBER ? (long)jv_number_value(fq) : 1;
				if (theme)
					nd->theme = wn_lexfile_by_name(theme);
				nd->pos = p;
				nd->lemma = lemma;
				int m = jv_get_kind(nb) == JV_KIND_ARRAY ? jv_array_length(jv_copy(nb)) : 0;
				for (int j = 0; j < m && ok; j++) {
					jv e = jv_array_get(jv_copy(nb), j);
					jv en = jv_object_get(jv_copy(e), jv_string("node"));
					jv es = jv_object_get(jv_copy(e), jv_string("score"));
					if (jv_get_kind(en) != JV_KIND_STRING || ndjson_nul_at(en) >= 0 ||
					    (jv_get_kind(es) != JV_KIND_NUMBER && jv_get_kind(es) != JV_KIND_NULL)) {
						seterr(err, errlen, "%s:%ld: neighbor %d: expected {\"node\": string, \"score\": number}%s",
						       path, lineno, j + 1, jv_get_kind(en) == JV_KIND_STRING &&
						       ndjson_nul_at(en) >= 0 ? " without \\u0000" : "");
						ok = 0;
					} else {
						if (npd == pdcap) {
							pdcap = pdcap ? pdcap * 2 : 1024;
							pd = xrealloc(pd, pdcap * sizeof *pd);
						}
						pd[npd].node = id;
						pd[npd].text = xstrdup(jv_string_value(en));
						pd[npd].score = jv_get_kind(es) == JV_KIND_NUMBER ? jv_number_value(es) : 0;
						npd++;
					}
					jv_free(en);
					jv_free(es);
					jv_free(e);
				}
			}
		}
		jv_free(k1);
		jv_free(k2);
		jv_free(k3);
		jv_free(k4);
		jv_free(th);
		jv_free(fq);
		jv_free(nb);
		jv_free(o);
	}
	if (ok) {
		/* Asked whether or not gzeof says the end was reached: a stream
		 * cut short (no trailer) ends like a whole one, at a line end. */
		int e;
		const char *m = gzerror(z, &e);
		if (e != Z_OK && e != Z_STREAM_END) {
			/* zlib's message starts with the path: keep what follows */
			size_t pl = strlen(path);
			if (e != Z_ERRNO && !strncmp(m, path, pl) && !strncmp(m + pl, ": ", 2))
				m += pl + 2;
			seterr(err, errlen, "%s:%ld: read error: %s", path, lineno + 1,
			       e == Z_ERRNO ? strerror(errno) : m);
			ok = 0;
		}
	}
	gzclose(z);
	free(buf);
	if (ok) {
		/* resolve neighbours: pd is grouped by node in file order */
		nbstart = xcalloc((size_t)g->nnode + 1, sizeof *nbstart);
		for (size_t i = 0; i < npd; i++)
			nbstart[pd[i].node]++;
		int nreal = g->nnode;
		for (int i = 0; i < nreal; i++) {
			kg_node *nd = &g->node[i];
			if (nbstart[i])
				nd->nb = xmalloc((size_t)nbstart[i] * sizeof *nd->nb);
		}
		for (size_t i = 0; i < npd; i++) {
			int id = pd[i].node;
			kg_node *nd = &g->node[id];
			const char *grp = g->group[nd->group].name;
			int kind = nd->kind;
			int t = kg_graph_find(g, kind, grp, pd[i].text);
			if (t < 0) {
				int p = kind == KG_ENTITY ? WN_NOUN : nd->pos;
				int lemma = wn ? wn_lookup(wn, pd[i].text, strlen(pd[i].text)) : -1;
				t = kg_graph_add(g, kind, grp, pd[i].text, p, lemma, -1);
				g->node[t].freq = 0;
				nd = &g->node[id];      /* the array may have moved */
			}
			nd->nb[nd->nnb].node = t;
			nd->nb[nd->nnb].score = pd[i].score;
			nd->nnb++;
		}
	}
	for (size_t i = 0; i < npd; i++)
		free(pd[i].text);
	free(pd);
	free(nbstart);
	if (!ok) {
		kg_graph_free(g);
		return NULL;
	}
	return g;
}

/* ---- WordNet scorer ---- */

typedef struct anc_entry { uint32_t synset; int member; int dist; } anc_entry;

typedef struct wn_scorer {
	const wordnet *wn;
	anc_entry *idx;
	size_t nidx, idxcap;
	double *best;
	int *touched;
	int cap;
} wn_scorer;

enum { WNS_MAXUP = 3 };

static int cmp_anc(const void *x, const void *y)
{
	const anc_entry *a = x, *b = y;
	if (a->synset != b->synset)
		return a->synset < b->synset ? -1 : 1;
	if (a->member != b->member)
		return a->member < b->member ? -1 : 1;
	return a->dist - b->dist;
}

static int first_sense(const wordnet *wn, const kg_node *nd, uint32_t *s)
{
	if (nd->lemma < 0 || nd->pos < 0)
		return 0;
	const uint32_t *sen;
	if (wn_senses(wn, nd->lemma, nd->pos, &sen) == 0)
		return 0;
	*s = sen[0];
	return 1;
}

static void wns_prepare(void *ctx, const kg_graph *g, const int *members, int n)
{
	wn_scorer *w = ctx;
	w->nidx = 0;
	if (n > w->cap) {
		w->cap = n;
		w->best = xrealloc(w->best, (size_t)n * sizeof *w->best);
		w->touched = xrealloc(w->touched, (size_t)n * sizeof *w->touched);
	}
	for (int i = 0; i < n; i++)
		w->best[i] = 0;
	for (int i = 0; i < n; i++) {
		uint32_t s;
		if (!first_sense(w->wn, &g->node[members[i]], &s))
			continue;
		wn_anc anc[64];
		int na = wn_ancestors(w->wn, s, WNS_MAXUP, anc, 64);
		for (int k = 0; k < na; k++) {
			if (w->nidx == w->idxcap) {
				w->idxcap = w->idxcap ? w->idxcap * 2 : 4096;
				w->idx = xrealloc(w->idx, w->idxcap * sizeof *w->idx);
			}
			w->idx[w->nidx++] = (anc_entry){anc[k].synset, i, anc[k].dist};
		}
	}
	if (w->nidx > 1)
		qsort(w->idx, w->nidx, sizeof *w->idx, cmp_anc);
}

static int wns_neighbors(void *ctx, const kg_graph *g, const int *members, int n, int i,
                         kg_nb *out, int cap)
{
	wn_scorer *w = ctx;
	(void)n;
	uint32_t s;
	if (!first_sense(w->wn, &g->node[members[i]], &s))
		return 0;
	wn_anc anc[64];
	int na = wn_ancestors(w->wn, s, WNS_MAXUP, anc, 64), nt = 0;
	for (int k = 0; k < na; k++) {
		/* binary search the first entry of this ancestor */
		size_t lo = 0, hi = w->nidx;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (w->idx[mid].synset < anc[k].synset)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t e = lo; e < w->nidx && w->idx[e].synset == anc[k].synset; e++) {
			int j = w->idx[e].member;
			if (j == i)
				continue;
			double sc = wn_wup_through(w->wn, anc[k].synset, anc[k].dist, w->idx[e].dist);
			if (w->best[j] == 0)
				w->touched[nt++] = j;
			if (sc > w->best[j])
				w->best[j] = sc;
		}
	}
	int m = 0;
	/* keep the best cap (ties broken later by text; touched order is deterministic) */
	for (int t = 0; t < nt; t++) {
		int j = w->touched[t];
		if (m < cap) {
			out[m].node = members[j];
			out[m].score = w->best[j];
			m++;
		} else {
			int worst = 0;
			for (int q = 1; q < m; q++)
				if (out[q].score < out[worst].score)
					worst = q;
			if (w->best[j] > out[worst].score) {
				out[worst].node = members[j];
				out[worst].score = w->best[j];
			}
		}
		w->best[j] = 0;
	}
	return m;
}

void kg_wordnet_scorer_init(kg_scorer *s, const wordnet *wn)
{
	wn_scorer *w = xcalloc(1, sizeof *w);
	w->wn = wn;
	s->name = "wordnet";
	s->ctx = w;
	s->prepare = wns_prepare;
	s->neighbors = wns_neighbors;
}

void kg_wordnet_scorer_free(kg_scorer *s)
{
	wn_scorer *w = s->ctx;
	if (w) {
		free(w->idx);
		free(w->best);
		free(w->touched);
		free(w);
	}
	s->ctx = NULL;
}
