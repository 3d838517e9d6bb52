/* wordnet.c — WordNet 3.0 database files; see wordnet.h. */
#include "kg/wordnet.h"
#include "base/err.h"
#include "base/cli.h"
#include "base/fileio.h"
#include "base/strmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct exc_pair { const char *form, *base; int32_t next_f, next_b; } exc_pair;

typedef struct exc_table {
	char *buf;
	exc_pair *pair;
	int npair;
	strmap forms, bases;          /* key -> id; chains through pair[].next_f / next_b */
	int32_t *head_f, *head_b;     /* per key id: first pair */
} exc_table;

struct wordnet {
	char *data[WN_NPOS];
	size_t datalen[WN_NPOS];
	wn_synset *syn;
	uint32_t nsyn, syncap;
	uint32_t posfirst[WN_NPOS + 1];
	wn_word *word;
	uint32_t nword, wordcap;
	wn_ptr *ptr;
	uint32_t nptr, ptrcap;
	uint8_t *ptrpos;              /* while loading: target part of speech */
	strmap lemmap;
	wn_lemma *lem;
	uint32_t lemcap;
	uint32_t *sense;
	uint32_t nsense, sensecap;
	exc_table exc[WN_NPOS];
};

static const char *const lexnames[45] = {
	"adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal",
	"noun.artifact", "noun.attribute", "noun.body", "noun.cognition",
	"noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
	"noun.location", "noun.motive", "noun.object", "noun.person",
	"noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
	"noun.quantity", "noun.relation", "noun.shape", "noun.state",
	"noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
	"verb.communication", "verb.competition", "verb.consumption", "verb.contact",
	"verb.creation", "verb.emotion", "verb.motion", "verb.perception",
	"verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
};

static const char *const posname[WN_NPOS] = {"noun", "verb", "adj", "adv"};

static const char *const ptrsyms[WN_NPTRKINDS] = {
	"!", "@", "@i", "~", "~i", "#m", "#s", "#p", "%m", "%s", "%p", "=", "+",
	";c", "-c", ";r", "-r", ";u", "-u", "*", ">", "^", "$", "&", "<", "\\",
};

const char *wn_lexname(int lexfile)
{
	return lexfile >= 0 && lexfile < 45 ? lexnames[lexfile] : NULL;
}

int wn_lexfile_by_name(const char *name)
{
	for (int i = 0; i < 45; i++)
		if (!strcmp(lexnames[i], name))
			return i;
	return -1;
}

char wn_pos_char(int pos)
{
	return pos >= 0 && pos < WN_NPOS ? "nvar"[pos] : '?';
}

int wn_pos_from_char(int c)
{
	switch (c) {
	case 'n': return WN_NOUN;
	case 'v': return WN_VERB;
	case 'a': case 's': return WN_ADJ;
	case 'r': return WN_ADV;
	}
	return -1;
}

const char *wn_ptr_symbol(int kind)
{
	return kind >= 0 && kind < WN_NPTRKINDS ? ptrsyms[kind] : NULL;
}

static int ptr_kind(const char *s, size_t n)
{
	for (int k = 0; k < WN_NPTRKINDS; k++)
		if (strlen(ptrsyms[k]) == n && !memcmp(ptrsyms[k], s, n))
			return k;
	return -1;
}

const char *wn_default_dir(void)
{
	static char buf[4096];
	const char *d = getenv("WNSEARCHDIR");
	if (d && *d)
		return d;
	d = getenv("WNHOME");
	if (d && *d) {
		snprintf(buf, sizeof buf, "%s/dict", d);
		return buf;
	}
	return "/usr/share/wordnet";
}

/* ---- loading ---- */


static int lemma_id(wordnet *wn, const char *s, size_t n)
{
	char key[512];
	if (n >= sizeof key)
		n = sizeof key - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		key[i] = c == '_' ? ' ' : (char)tolower(c);
	}
	int id = strmap_intern(&wn->lemmap, key, n);
	if ((uint32_t)id >= wn->lemcap) {
		uint32_t c = wn->lemcap ? wn->lemcap * 2 : 1 << 16;
		wn->lem = xrealloc(wn->lem, c * sizeof *wn->lem);
		memset(wn->lem + wn->lemcap, 0, (c - wn->lemcap) * sizeof *wn->lem);
		wn->lemcap = c;
	}
	return id;
}

/* A field: skip blanks, return its start, set *n and advance *p. */
static const char *field(const char **p, const char *end, size_t *n)
{
	const char *s = *p;
	while (s < end && *s == ' ')
		s++;
	const char *e = s;
	while (e < end && *e != ' ')
		e++;
	*n = (size_t)(e - s);
	*p = e;
	return s;
}

static int parse_uint(const char *s, size_t n, int base, unsigned long *out)
{
	if (!n || n > 10)
		return 0;
	unsigned long v = 0;
	for (size_t i = 0; i < n; i++) {
		int d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	*out = v;
	return 1;
}

/* DIR/KIND.POS (data.noun, index.verb, ...), whole, its name left in path
 * for later messages; NULL with err. */
static char *read_pos_file(char *path, size_t pathlen, const char *dir, const char *kind, int pos,
                           size_t *len, char *err, size_t errlen)
{
	snprintf(path, pathlen, "%s/%s.%s", dir, kind, posname[pos]);
	char *b = file_read(path, 0, len);
	if (!b)
		seterr(err, errlen, "%s: %s", path, strerror(errno));
	return b;
}

static int load_data(wordnet *wn, int pos, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	size_t len;
	char *b = read_pos_file(path, sizeof path, dir, "data", pos, &len, err, errlen);
	if (!b)
		return 0;
	wn->data[pos] = b;
	wn->datalen[pos] = len;
	wn->posfirst[pos] = wn->nsyn;
	long lineno = 0;
	char *line = b, *end = b + len;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *le = nl ? nl : end;
		lineno++;
		if (le - line >= 2 && line[0] == ' ' && line[1] == ' ')
			goto next;    /* licence header */
		if (le == line)
			goto next;
		const char *p = line;
		size_t n;
		unsigned long off, lexf, wcnt, pcnt;
		const char *f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &off))
			goto bad;
		if (off != (unsigned long)(line - b)) {
			seterr(err, errlen, "%s:%ld: synset offset %08lu but the line is at byte %ld",
			       path, lineno, off, (long)(line - b));
			return 0;
		}
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &lexf) || lexf > 44)
			goto bad;
		f = field(&p, le, &n);
		if (n != 1 || wn_pos_from_char(*f) != pos)
			goto bad;
		int sat = *f == 's';
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 16, &wcnt) || wcnt == 0 || wcnt > 255)
			goto bad;
		if (wn->nsyn == wn->syncap) {
			wn->syncap = wn->syncap ? wn->syncap * 2 : 1 << 15;
			wn->syn = xrealloc(wn->syn, wn->syncap * sizeof *wn->syn);
		}
		wn_synset *sy = &wn->syn[wn->nsyn];
		memset(sy, 0, sizeof *sy);
		sy->offset = (uint32_t)off;
		sy->pos = (uint8_t)pos;
		sy->satellite = (uint8_t)sat;
		sy->lexfile = (uint8_t)lexf;
		sy->nwords = (uint8_t)wcnt;
		sy->word0 = wn->nword;
		for (unsigned long i = 0; i < wcnt; i++) {
			char *w = (char *)field(&p, le, &n);
			size_t wl = n;
			unsigned long lexid;
			f = field(&p, le, &n);
			if (!wl || !parse_uint(f, n, 16, &lexid))
				goto bad;
			if (pos == WN_ADJ && w[wl - 1] == ')') {     /* syntactic marker (a) (p) (ip) */
				char *o = memchr(w, '(', wl);
				if (o)
					wl = (size_t)(o - w);
			}
			for (size_t k = 0; k < wl; k++)
				if (w[k] == '_')
					w[k] = ' ';
			if (wn->nword == wn->wordcap) {
				wn->wordcap = wn->wordcap ? wn->wordcap * 2 : 1 << 16;
				wn->word = xrealloc(wn->word, wn->wordcap * sizeof *wn->word);
			}
			wn_word *wd = &wn->word[wn->nword++];
			wd->text = w;
			wd->len = (uint16_t)wl;
			wd->lex_id = (uint8_t)lexid;
			wd->lemma = lemma_id(wn, w, wl);
		}
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &pcnt) || pcnt > 65535)
			goto bad;
		sy->nptrs = (uint16_t)pcnt;
		sy->ptr0 = wn->nptr;
		for (unsigned long i = 0; i < pcnt; i++) {
			const char *sym = field(&p, le, &n);
			int kind = ptr_kind(sym, n);
			unsigned long toff, st;
			f = field(&p, le, &n);
			if (kind < 0 || !parse_uint(f, n, 10, &toff))
				goto bad;
			f = field(&p, le, &n);
			int tpos = n == 1 ? wn_pos_from_char(*f) : -1;
			if (tpos < 0)
				goto bad;
			f = field(&p, le, &n);
			if (n != 4 || !parse_uint(f, n, 16, &st))
				goto bad;
			if (wn->nptr == wn->ptrcap) {
				wn->ptrcap = wn->ptrcap ? wn->ptrcap * 2 : 1 << 16;
				wn->ptr = xrealloc(wn->ptr, wn->ptrcap * sizeof *wn->ptr);
				wn->ptrpos = xrealloc(wn->ptrpos, wn->ptrcap);
			}
			wn->ptr[wn->nptr].target = (uint32_t)toff;
			wn->ptr[wn->nptr].kind = (uint8_t)kind;
			wn->ptr[wn->nptr].src = (uint8_t)(st >> 8);
			wn->ptr[wn->nptr].dst = (uint8_t)(st & 0xff);
			wn->ptrpos[wn->nptr] = (uint8_t)tpos;
			wn->nptr++;
		}
		const char *bar = memchr(p, '|', (size_t)(le - p));
		if (bar) {
			const char *g = bar + 1;
			while (g < le && *g == ' ')
				g++;
			const char *ge = le;
			while (ge > g && (ge[-1] == ' ' || ge[-1] == '\r'))
				ge--;
			sy->gloss = g;
			sy->gloss_len = (uint32_t)(ge - g);
		} else {
			sy->gloss = le;
			sy->gloss_len = 0;
		}
		wn->nsyn++;
	next:
		line = nl ? nl + 1 : end;
		continue;
	bad:
		seterr(err, errlen, "%s:%ld: malformed synset line", path, lineno);
		return 0;
	}
	return 1;
}

long wn_find_synset(const wordnet *wn, int pos, uint32_t offset)
{
	if (pos < 0 || pos >= WN_NPOS)
		return -1;
	uint32_t lo = wn->posfirst[pos], hi = wn->posfirst[pos + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (wn->syn[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < wn->posfirst[pos + 1] && wn->syn[lo].offset == offset ? (long)lo : -1;
}

static int load_index(wordnet *wn, int pos, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	size_t len;
	char *b = read_pos_file(path, sizeof path, dir, "index", pos, &len, err, errlen);
	if (!b)
		return 0;
	long lineno = 0;
	const char *line = b, *end = b + len;
	int ok = 1;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		lineno++;
		if (le == line || (le - line >= 2 && line[0] == ' ' && line[1] == ' '))
			goto next;
		const char *p = line;
		size_t n, ln;
		unsigned long cnt, pcnt, tagcnt;
		const char *lem = field(&p, le, &ln);
		const char *f = field(&p, le, &n);
		if (n != 1 || wn_pos_from_char(*f) != pos)
			goto bad;
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &cnt))
			goto bad;
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &pcnt))
			goto bad;
		for (unsigned long i = 0; i < pcnt; i++)
			field(&p, le, &n);
		f = field(&p, le, &n);                 /* sense_cnt (same as synset_cnt) */
		f = field(&p, le, &n);
		if (!parse_uint(f, n, 10, &tagcnt))
			goto bad;
		int id = lemma_id(wn, lem, ln);
		wn_lemma *L = &wn->lem[id];
		L->sense0[pos] = wn->nsense;
		for (unsigned long i = 0; i < cnt; i++) {
			unsigned long off;
			f = field(&p, le, &n);
			if (!parse_uint(f, n, 10, &off))
				goto bad;
			long s = wn_find_synset(wn, pos, (uint32_t)off);
			if (s < 0) {
				seterr(err, errlen, "%s:%ld: no synset at offset %08lu", path, lineno, off);
				ok = 0;
				goto out;
			}
			if (wn->nsense == wn->sensecap) {
				wn->sensecap = wn->sensecap ? wn->sensecap * 2 : 1 << 16;
				wn->sense = xrealloc(wn->sense, wn->sensecap * sizeof *wn->sense);
			}
			wn->sense[wn->nsense++] = (uint32_t)s;
		}
		L->nsense[pos] = (uint16_t)(cnt > 65535 ? 65535 : cnt);
	next:
		line = nl ? nl + 1 : end;
		continue;
	bad:
		seterr(err, errlen, "%s:%ld: malformed index line", path, lineno);
		ok = 0;
		break;
	}
out:
	free(b);
	return ok;
}

/* cntlist.rev: "lemma%ss_type:lexfile:lexid:head:headid sense_number tag_cnt". Optional. */
static void load_counts(wordnet *wn, const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/cntlist.rev", dir);
	size_t len;
	char *b = file_read(path, 0, &len);
	if (!b)
		return;
	const char *line = b, *end = b + len;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *pct = memchr(line, '%', (size_t)(le - line));
		const char *sp = pct ? memchr(pct, ' ', (size_t)(le - pct)) : NULL;
		if (pct && sp && pct + 1 < le) {
			int pos = -1;
			switch (pct[1]) {
			case '1': pos = WN_NOUN; break;
			case '2': pos = WN_VERB; break;
			case '3': case '5': pos = WN_ADJ; break;
			case '4': pos = WN_ADV; break;
			}
			const char *p = sp;
			size_t n;
			unsigned long cnt;
			field(&p, le, &n);                      /* sense number */
			const char *f = field(&p, le, &n);
			char key[512];
			size_t kl = (size_t)(pct - line);
			if (pos >= 0 && kl < sizeof key && parse_uint(f, n, 10, &cnt)) {
				for (size_t i = 0; i < kl; i++)
					key[i] = line[i] == '_' ? ' ' : (char)tolower((unsigned char)line[i]);
				int id = strmap_find(&wn->lemmap, key, kl);
				if (id >= 0)
					wn->lem[id].freq[pos] += (uint32_t)cnt;
			}
		}
		line = nl ? nl + 1 : end;
	}
	free(b);
}

static int load_exc(wordnet *wn, int pos, const char *dir, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.exc", dir, posname[pos]);
	exc_table *t = &wn->exc[pos];
	strmap_init(&t->forms);
	strmap_init(&t->bases);
	size_t len;
	char *b = file_read(path, 0, &len);
	if (!b) {
		if (errno == ENOENT)
			return 1;            /* no exceptions for this part of speech */
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return 0;
	}
	t->buf = b;
	int cap = 0;
	char *p = b, *end = b + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		*le = 0;
		for (char *q = p; q < le; q++) {
			if (*q == '_')
				*q = ' ';
			else if (*q == ' ' || *q == '\t' || *q == '\r')
				*q = 0;
		}
		/* now: form \0 base \0 base ... */
		char *form = p;
		while (form < le && !*form)
			form++;
		if (form < le) {
			char *q = form + strlen(form);
			for (;;) {
				while (q < le && !*q)
					q++;
				if (q >= le)
					break;
				if (t->npair == cap) {
					cap = cap ? cap * 2 : 1024;
					t->pair = xrealloc(t->pair, (size_t)cap * sizeof *t->pair);
				}
				t->pair[t->npair].form = form;
				t->pair[t->npair].base = q;
				t->npair++;
				q += strlen(q);
			}
		}
		p = nl ? nl + 1 : end;
	}
	/* chains, in file order */
	for (int i = 0; i < t->npair; i++) {
		strmap_intern(&t->forms, t->pair[i].form, strlen(t->pair[i].form));
		strmap_intern(&t->bases, t->pair[i].base, strlen(t->pair[i].base));
	}
	t->head_f = xmalloc((t->forms.n + 1) * sizeof *t->head_f);
	t->head_b = xmalloc((t->bases.n + 1) * sizeof *t->head_b);
	for (uint32_t i = 0; i < t->forms.n; i++)
		t->head_f[i] = -1;
	for (uint32_t i = 0; i < t->bases.n; i++)
		t->head_b[i] = -1;
	for (int i = t->npair - 1; i >= 0; i--) {
		int f = strmap_find(&t->forms, t->pair[i].form, strlen(t->pair[i].form));
		int g = strmap_find(&t->bases, t->pair[i].base, strlen(t->pair[i].base));
		t->pair[i].next_f = t->head_f[f];
		t->head_f[f] = i;
		t->pair[i].next_b = t->head_b[g];
		t->head_b[g] = i;
	}
	return 1;
}

static int depth_of(wordnet *wn, uint32_t s, int guard)
{
	wn_synset *sy = &wn->syn[s];
	if (sy->depth)
		return sy->depth;
	int best = 0;
	if (guard < 64)
		for (uint32_t i = 0; i < sy->nptrs; i++) {
			const wn_ptr *p = &wn->ptr[sy->ptr0 + i];
			if (p->kind != WN_HYPERNYM && p->kind != WN_INST_HYPERNYM)
				continue;
			int d = depth_of(wn, p->target, guard + 1);
			if (!best || d < best)
				best = d;
		}
	sy->depth = (int16_t)(best + 1);
	return sy->depth;
}

wordnet *wn_load(const char *dir, char *err, size_t errlen)
{
	wordnet *wn = xcalloc(1, sizeof *wn);
	strmap_init(&wn->lemmap);
	for (int p = 0; p < WN_NPOS; p++) {
		if (!load_data(wn, p, dir, err, errlen))
			goto fail;
		wn->posfirst[p + 1] = wn->nsyn;
	}
	for (uint32_t i = 0; i < wn->nptr; i++) {
		long s = wn_find_synset(wn, wn->ptrpos[i], wn->ptr[i].target);
		if (s < 0) {
			seterr(err, errlen, "%s: a %s pointer to a missing %s synset %08u", dir,
			       ptrsyms[wn->ptr[i].kind], posname[wn->ptrpos[i]], wn->ptr[i].target);
			goto fail;
		}
		wn->ptr[i].target = (uint32_t)s;
	}
	free(wn->ptrpos);
	wn->ptrpos = NULL;
	for (int p = 0; p < WN_NPOS; p++)
		if (!load_index(wn, p, dir, err, errlen))
			goto fail;
	for (int p = 0; p < WN_NPOS; p++)
		if (!load_exc(wn, p, dir, err, errlen))
			goto fail;
	load_counts(wn, dir);
	for (uint32_t i = 0; i < wn->lemmap.n; i++) {
		size_t n;
		wn->lem[i].text = strmap_key(&wn->lemmap, (int)i, &n);
		wn->lem[i].len = (uint32_t)n;
	}
	for (uint32_t s = 0; s < wn->nsyn; s++) {
		wn_synset *sy = &wn->syn[s];
		if (sy->pos == WN_NOUN || sy->pos == WN_VERB)
			depth_of(wn, s, 0);
		else if (sy->pos == WN_ADJ)
			sy->depth = sy->satellite ? 3 : 2;
		else
			sy->depth = 1;
	}
	if (wn->nsyn == 0) {
		seterr(err, errlen, "%s: no synsets", dir);
		goto fail;
	}
	return wn;
fail:
	wn_free(wn);
	return NULL;
}

void wn_free(wordnet *wn)
{
	if (!wn)
		return;
	for (int p = 0; p < WN_NPOS; p++) {
		free(wn->data[p]);
		exc_table *t = &wn->exc[p];
		free(t->buf);
		free(t->pair);
		free(t->head_f);
		free(t->head_b);
		strmap_free(&t->forms);
		strmap_free(&t->bases);
	}
	free(wn->syn);
	free(wn->word);
	free(wn->ptr);
	free(wn->ptrpos);
	free(wn->lem);
	free(wn->sense);
	strmap_free(&wn->lemmap);
	free(wn);
}

/* ---- access ---- */

uint32_t wn_nsynsets(const wordnet *wn) { return wn->nsyn; }
int wn_nlemmas(const wordnet *wn) { return (int)wn->lemmap.n; }
const wn_synset *wn_synset_at(const wordnet *wn, uint32_t s) { return &wn->syn[s]; }
const wn_word *wn_word_at(const wordnet *wn, uint32_t w) { return &wn->word[w]; }
const wn_ptr *wn_ptr_at(const wordnet *wn, uint32_t p) { return &wn->ptr[p]; }
const wn_lemma *wn_lemma_at(const wordnet *wn, int lemma) { return &wn->lem[lemma]; }

/* Lowercase, '_' -> ' '; 0 if it does not fit. */
static size_t norm_key(const char *s, size_t n, char *out, size_t cap)
{
	if (n >= cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c == '_' ? ' ' : (char)tolower(c);
	}
	out[n] = 0;
	return n;
}

int wn_lookup(const wordnet *wn, const char *s, size_t n)
{
	char key[512];
	if (!n || !norm_key(s, n, key, sizeof key))
		return -1;
	return strmap_find(&wn->lemmap, key, n);
}

int wn_senses(const wordnet *wn, int lemma, int pos, const uint32_t **out)
{
	if (lemma < 0 || pos < 0 || pos >= WN_NPOS) {
		*out = NULL;
		return 0;
	}
	const wn_lemma *L = &wn->lem[lemma];
	*out = wn->sense + L->sense0[pos];
	return L->nsense[pos];
}

/* ---- morphology ---- */

int wn_exc_forms(const wordnet *wn, int pos, const char *base, const char **out, int cap)
{
	const exc_table *t = &wn->exc[pos];
	int id = strmap_find(&t->bases, base, strlen(base)), n = 0;
	for (int32_t i = id >= 0 ? t->head_b[id] : -1; i >= 0 && n < cap; i = t->pair[i].next_b)
		out[n++] = t->pair[i].form;
	return n;
}

int wn_exc_bases(const wordnet *wn, int pos, const char *form, const char **out, int cap)
{
	const exc_table *t = &wn->exc[pos];
	int id = strmap_find(&t->forms, form, strlen(form)), n = 0;
	for (int32_t i = id >= 0 ? t->head_f[id] : -1; i >= 0 && n < cap; i = t->pair[i].next_f)
		out[n++] = t->pair[i].base;
	return n;
}

typedef struct { const char *suf, *end; } detach;
static const detach noun_rules[] = {
	{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"},
	{"shes", "sh"}, {"men", "man"}, {"ies", "y"}, {NULL, NULL}};
static const detach verb_rules[] = {
	{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""},
	{"ing", "e"}, {"ing", ""}, {NULL, NULL}};
static const detach adj_rules[] = {
	{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}, {NULL, NULL}};

static int add_base(const wordnet *wn, int pos, const char *s, int *out, int n, int cap)
{
	if (n >= cap)
		return n;
	int id = strmap_find(&wn->lemmap, s, strlen(s));
	if (id < 0 || !wn->lem[id].nsense[pos])
		return n;
	for (int i = 0; i < n; i++)
		if (out[i] == id)
			return n;
	out[n++] = id;
	return n;
}

/* Bases of one word (no spaces), as strings through a callback-free buffer. */
static int word_bases(const wordnet *wn, const char *w, int pos, char (*buf)[256], int cap)
{
	int n = 0;
	const char *exc[8];
	int k = wn_exc_bases(wn, pos, w, exc, 8);
	for (int i = 0; i < k && n < cap; i++)
		snprintf(buf[n++], 256, "%s", exc[i]);
	if (n < cap)
		snprintf(buf[n++], 256, "%s", w);
	size_t len = strlen(w);
	const detach *rules = pos == WN_NOUN ? noun_rules : pos == WN_VERB ? verb_rules
	                    : pos == WN_ADJ ? adj_rules : NULL;
	if (pos == WN_NOUN && (len <= 2 || (len >= 2 && !strcmp(w + len - 2, "ss"))))
		rules = NULL;
	for (const detach *r = rules; r && r->suf && n < cap; r++) {
		size_t sl = strlen(r->suf);
		if (len <= sl || strcmp(w + len - sl, r->suf))
			continue;
		if (len - sl + strlen(r->end) >= 256)
			continue;
		snprintf(buf[n++], 256, "%.*s%s", (int)(len - sl), w, r->end);
	}
	return n;
}

int wn_morphy(const wordnet *wn, const char *s, size_t len, int pos, int *out, int cap)
{
	char key[256];
	if (pos < 0 || pos >= WN_NPOS || !len || !norm_key(s, len, key, sizeof key))
		return 0;
	int n = 0;
	char (*buf)[256] = xmalloc(16 * sizeof *buf);
	const char *sp = strchr(key, ' ');
	if (!sp) {
		int k = word_bases(wn, key, pos, buf, 16);
		for (int i = 0; i < k; i++)
			n = add_base(wn, pos, buf[i], out, n, cap);
	} else {
		const char *exc[8];
		int k = wn_exc_bases(wn, pos, key, exc, 8);
		for (int i = 0; i < k; i++)
			n = add_base(wn, pos, exc[i], out, n, cap);
		n = add_base(wn, pos, key, out, n, cap);
		/* last word */
		const char *last = strrchr(key, ' ') + 1;
		size_t pl = (size_t)(last - key);
		k = word_bases(wn, last, pos, buf, 16);
		for (int i = 0; i < k; i++) {
			char c[512];
			snprintf(c, sizeof c, "%.*s%s", (int)pl, key, buf[i]);
			n = add_base(wn, pos, c, out, n, cap);
		}
		/* first word */
		char first[256];
		snprintf(first, sizeof first, "%.*s", (int)(sp - key), key);
		k = word_bases(wn, first, pos, buf, 16);
		for (int i = 0; i < k; i++) {
			char c[512];
			snprintf(c, sizeof c, "%s%s", buf[i], sp);
			n = add_base(wn, pos, c, out, n, cap);
		}
	}
	free(buf);
	return n;
}

static int is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static int ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && !memcmp(w + n - k, suf, k);
}

/* Write prefix + word form + suffix into out; -1 when it does not fit. */
static int put3(char *out, size_t cap, const char *a, size_t an, const char *b, size_t bn,
                const char *c, size_t cn)
{
	if (an + bn + cn + 1 > cap)
		return -1;
	memcpy(out, a, an);
	memcpy(out + an, b, bn);
	memcpy(out + an + bn, c, cn);
	out[an + bn + cn] = 0;
	return (int)(an + bn + cn);
}

/* o = w[0..keep) + suf, truncated to cap - 1 bytes. */
static void cat(char *o, size_t cap, const char *w, size_t keep, const char *suf)
{
	size_t sl = strlen(suf);
	if (keep >= cap)
		keep = cap - 1;
	memmove(o, w, keep);
	if (keep + sl >= cap)
		sl = cap - 1 - keep;
	memcpy(o + keep, suf, sl);
	o[keep + sl] = 0;
}

static void noun_plural_word(const wordnet *wn, const char *w, size_t n, char *o, size_t cap)
{
	static const char *const over[][2] = {
		{"brother", "brothers"}, {"person", "people"}, {"fish", "fish"},
		{"sheep", "sheep"}, {"deer", "deer"}, {"cow", "cows"}, {"die", "dice"},
	};
	char word[256];
	snprintf(word, sizeof word, "%.*s", (int)n, w);
	for (size_t i = 0; i < sizeof over / sizeof *over; i++)
		if (!strcmp(word, over[i][0])) {
			cat(o, cap, over[i][1], strlen(over[i][1]), "");
			return;
		}
	const char *f[4];
	if (wn_exc_forms(wn, WN_NOUN, word, f, 4) > 0 && !strchr(f[0], ' ')) {
		cat(o, cap, f[0], strlen(f[0]), "");
		return;
	}
	/* "-man" -> "-men" (morphy's own rule), but not "human", "German", ... */
	static const char *const mans[] = {"human", "german", "roman", "shaman", "talisman",
	                                   "caiman", "ottoman", "walkman", "desman", "dolman", NULL};
	if (ends(word, n, "man")) {
		int regular = 0;
		for (int i = 0; mans[i]; i++)
			regular |= ends(word, n, mans[i]);
		if (!regular) {
			cat(o, cap, word, n - 2, "en");
			return;
		}
	}
	if (ends(word, n, "s") || ends(word, n, "x") || ends(word, n, "z") ||
	    ends(word, n, "ch") || ends(word, n, "sh"))
		cat(o, cap, word, n, "es");
	else if (n >= 2 && word[n - 1] == 'y' && !is_vowel(word[n - 2]))
		cat(o, cap, word, n - 1, "ies");
	else
		cat(o, cap, word, n, "s");
}

int wn_plural(const wordnet *wn, const char *base, char *out, size_t cap)
{
	size_t n = strlen(base);
	const char *of = strstr(base, " of ");
	size_t ws, we;     /* the word to inflect: [ws, we) */
	if (of) {
		ws = 0;
		we = (size_t)(of - base);
		const char *sp = memchr(base, ' ', we);
		if (sp)
			we = (size_t)(sp - base);
	} else {
		const char *sp = strrchr(base, ' ');
		ws = sp ? (size_t)(sp - base) + 1 : 0;
		we = n;
	}
	if (we <= ws || we - ws >= 200)
		return -1;
	char pl[256];
	noun_plural_word(wn, base + ws, we - ws, pl, sizeof pl);
	return put3(out, cap, base, ws, pl, strlen(pl), base + we, n - we);
}

static void vbz_word(const char *w, size_t n, char *o, size_t cap)
{
	if (!strcmp(w, "be"))
		cat(o, cap, "is", 2, "");
	else if (!strcmp(w, "have"))
		cat(o, cap, "has", 3, "");
	else if (ends(w, n, "s") || ends(w, n, "x") || ends(w, n, "z") || ends(w, n, "ch") ||
	         ends(w, n, "sh") || (n >= 2 && w[n - 1] == 'o' && !is_vowel(w[n - 2])))
		cat(o, cap, w, n, "es");
	else if (n >= 2 && w[n - 1] == 'y' && !is_vowel(w[n - 2]))
		cat(o, cap, w, n - 1, "ies");
	else
		cat(o, cap, w, n, "s");
}

/* Verbs whose past and participle are the base itself. */
static const char *const zero_past[] = {
	"bet", "bid", "broadcast", "burst", "cast", "cost", "cut", "forecast", "hit", "hurt",
	"let", "put", "quit", "read", "rid", "set", "shed", "shut", "slit", "split", "spread",
	"thrust", "upset", "wet", NULL};

/* One syllable ending consonant-vowel-consonant doubles its consonant:
 * "stop" -> "stopping", "put" -> "putting" (not "visit", "fix", "show"). */
static int cvc_double(const char *w, size_t n)
{
	if (n < 3 || is_vowel(w[n - 1]) || strchr("wxy", w[n - 1]) || !is_vowel(w[n - 2]) ||
	    is_vowel(w[n - 3]))
		return 0;
	int groups = 0;
	for (size_t i = 0; i < n; i++)
		if ((is_vowel(w[i]) || (w[i] == 'y' && i > 0)) && (i == 0 || !is_vowel(w[i - 1])))
			groups++;
	return groups == 1;
}

static int participle_like(const char *f)
{
	size_t n = strlen(f);
	return ends(f, n, "en") || ends(f, n, "wn") || ends(f, n, "ne") || ends(f, n, "ain");
}

/* Of two past-like forms, is b the participle rather than a ("swum" vs "swam")? */
static int u_for_a(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return 0;
	int diff = 0, ua = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			diff++;
			ua = a[i] == 'a' && b[i] == 'u';
		}
	return diff == 1 && ua;
}

static void verb_form_word(const wordnet *wn, const char *w, size_t n, int form, char *o, size_t cap)
{
	static const char *const irregular[][5] = {   /* VB VBZ VBD VBN VBG */
		{"be", "is", "was", "been", "being"},
		{"have", "has", "had", "had", "having"},
		{"do", "does", "did", "done", "doing"},
		{"go", "goes", "went", "gone", "going"},
		{"come", "comes", "came", "come", "coming"},
		{"become", "becomes", "became", "become", "becoming"},
		{"overcome", "overcomes", "overcame", "overcome", "overcoming"},
		{"run", "runs", "ran", "run", "running"},
		{"outrun", "outruns", "outran", "outrun", "outrunning"},
	};
	for (size_t i = 0; i < sizeof irregular / sizeof *irregular; i++)
		if (!strcmp(w, irregular[i][0])) {
			cat(o, cap, irregular[i][form], strlen(irregular[i][form]), "");
			return;
		}
	if (form == WN_VB) {
		cat(o, cap, w, n, "");
		return;
	}
	char vbz[256];
	vbz_word(w, n, vbz, sizeof vbz);
	if (form == WN_VBZ) {
		cat(o, cap, vbz, strlen(vbz), "");
		return;
	}
	const char *f[16];
	int k = wn_exc_forms(wn, WN_VERB, w, f, 16);
	const char *ing = NULL, *past[4];
	int np = 0;
	for (int i = 0; i < k; i++) {
		size_t fl = strlen(f[i]);
		if (strchr(f[i], ' '))
			continue;
		if (ends(f[i], fl, "ing")) {
			if (!ing)
				ing = f[i];
		} else if (!strcmp(f[i], vbz) || (ends(f[i], fl, "s") && !ends(w, n, "s"))) {
			continue;
		} else if (np < 4)
			past[np++] = f[i];
	}
	if (form == WN_VBG) {
		if (ing)
			cat(o, cap, ing, strlen(ing), "");
		else if (ends(w, n, "ie"))
			cat(o, cap, w, n - 2, "ying");
		else if (n > 2 && w[n - 1] == 'e' && !ends(w, n, "ee") && !ends(w, n, "ye") &&
		         !ends(w, n, "oe"))
			cat(o, cap, w, n - 1, "ing");
		else if (cvc_double(w, n)) {
			char d[4] = {w[n - 1], 'i', 'n', 'g'};
			char suf[5];
			memcpy(suf, d, 4);
			suf[4] = 0;
			cat(o, cap, w, n, suf);
		} else
			cat(o, cap, w, n, "ing");
		return;
	}
	for (int i = 0; zero_past[i]; i++)
		if (!strcmp(w, zero_past[i])) {
			cat(o, cap, w, n, "");
			return;
		}
	if (np == 1 && !(form == WN_VBD && participle_like(past[0]))) {
		cat(o, cap, past[0], strlen(past[0]), "");
		return;
	}
	if (np == 1)
		np = 0;            /* only a participle ("shaven"): the past is regular */
	if (np >= 2) {
		int vbn = 1;        /* index of the participle among past[0], past[1] */
		if (participle_like(past[0]) && !participle_like(past[1]))
			vbn = 0;
		else if (participle_like(past[1]) && !participle_like(past[0]))
			vbn = 1;
		else if (u_for_a(past[1], past[0]))
			vbn = 0;
		{
			const char *pf = form == WN_VBN ? past[vbn] : past[1 - vbn];
			cat(o, cap, pf, strlen(pf), "");
		}
		return;
	}
	if (w[n - 1] == 'e')
		cat(o, cap, w, n, "d");
	else if (n >= 2 && w[n - 1] == 'y' && !is_vowel(w[n - 2]))
		cat(o, cap, w, n - 1, "ied");
	else if (cvc_double(w, n)) {
		char suf[4] = {w[n - 1], 'e', 'd', 0};
		cat(o, cap, w, n, suf);
	} else
		cat(o, cap, w, n, "ed");
}

int wn_inflect_verb(const wordnet *wn, const char *base, int form, char *out, size_t cap)
{
	if (form < WN_VB || form > WN_VBG)
		return -1;
	size_t n = strlen(base);
	const char *sp = strchr(base, ' ');
	size_t wl = sp ? (size_t)(sp - base) : n;
	if (!wl || wl >= 200)
		return -1;
	char w[256], f[256];
	memcpy(w, base, wl);
	w[wl] = 0;
	verb_form_word(wn, w, wl, form, f, sizeof f);
	return put3(out, cap, "", 0, f, strlen(f), base + wl, n - wl);
}

/* ---- relations ---- */

int wn_depth(const wordnet *wn, uint32_t s)
{
	return wn->syn[s].depth;
}

/* Upward / downward links of a synset for relatedness. */
static int is_up(const wordnet *wn, uint32_t s, const wn_ptr *p)
{
	if (wn->syn[s].pos == WN_ADJ)
		return p->kind == WN_SIMILAR && wn->syn[s].satellite;
	return p->kind == WN_HYPERNYM || p->kind == WN_INST_HYPERNYM;
}

static int is_down(const wordnet *wn, uint32_t s, const wn_ptr *p)
{
	if (wn->syn[s].pos == WN_ADJ)
		return p->kind == WN_SIMILAR && !wn->syn[s].satellite;
	return p->kind == WN_HYPONYM || p->kind == WN_INST_HYPONYM;
}

int wn_ancestors(const wordnet *wn, uint32_t s, int maxup, wn_anc *out, int cap)
{
	if (cap <= 0)
		return 0;
	int n = 0;
	out[n].synset = s;
	out[n++].dist = 0;
	for (int q = 0; q < n; q++) {
		if (out[q].dist >= maxup)
			continue;
		const wn_synset *sy = &wn->syn[out[q].synset];
		for (uint32_t i = 0; i < sy->nptrs; i++) {
			const wn_ptr *p = &wn->ptr[sy->ptr0 + i];
			if (!is_up(wn, out[q].synset, p))
				continue;
			int seen = 0;
			for (int j = 0; j < n && !seen; j++)
				seen = out[j].synset == p->target;
			if (seen)
				continue;
			if (n == cap)
				return n;
			out[n].synset = p->target;
			out[n++].dist = out[q].dist + 1;
		}
	}
	return n;
}

double wn_wup(const wordnet *wn, uint32_t a, uint32_t b)
{
	if (wn->syn[a].pos != wn->syn[b].pos)
		return 0;
	wn_anc aa[256], bb[256];
	int na = wn_ancestors(wn, a, 64, aa, 256), nb = wn_ancestors(wn, b, 64, bb, 256);
	double best = 0;
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (aa[i].synset == bb[j].synset) {
				double sc = wn_wup_through(wn, aa[i].synset, aa[i].dist, bb[j].dist);
				if (sc > best)
					best = sc;
			}
	return best;
}

double wn_wup_through(const wordnet *wn, uint32_t lcs, int da, int db)
{
	double d = wn->syn[lcs].depth;
	return 2 * d / (2 * d + da + db);
}

static int cmp_scored(const void *x, const void *y)
{
	const wn_scored *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->synset < b->synset ? -1 : a->synset > b->synset;
}

typedef struct { uint32_t s; int depth; } walk;

int wn_related(const wordnet *wn, uint32_t s, int maxup, wn_scored *out, int cap)
{
	if (cap <= 0)
		return 0;
	wn_anc anc[64];
	int na = wn_ancestors(wn, s, maxup, anc, 64), n = 0;
	/* a small open-addressing set: synset -> index in out */
	uint32_t hcap = 16;
	while (hcap < (uint32_t)cap * 2)
		hcap *= 2;
	int32_t *h = xmalloc(hcap * sizeof *h);
	for (uint32_t i = 0; i < hcap; i++)
		h[i] = -1;
	walk *stack = xmalloc(4096 * sizeof *stack);
	for (int a = 0; a < na && n < cap; a++) {
		uint32_t A = anc[a].synset;
		int limit = anc[a].dist == 0 ? 1 : anc[a].dist;
		int sp = 0;
		stack[sp++] = (walk){A, 0};
		while (sp && n < cap) {
			walk w = stack[--sp];
			double sc = wn_wup_through(wn, A, anc[a].dist, w.depth);
			uint32_t i = (w.s * 2654435761u) & (hcap - 1);
			while (h[i] >= 0 && out[h[i]].synset != w.s)
				i = (i + 1) & (hcap - 1);
			if (h[i] < 0) {
				h[i] = n;
				out[n].synset = w.s;
				out[n++].score = sc;
			} else if (sc > out[h[i]].score)
				out[h[i]].score = sc;
			if (w.depth >= limit)
				continue;
			const wn_synset *sy = &wn->syn[w.s];
			for (int k = (int)sy->nptrs - 1; k >= 0; k--) {
				const wn_ptr *p = &wn->ptr[sy->ptr0 + (uint32_t)k];
				if (is_down(wn, w.s, p) && sp < 4096)
					stack[sp++] = (walk){p->target, w.depth + 1};
			}
		}
	}
	free(stack);
	free(h);
	qsort(out, (size_t)n, sizeof *out, cmp_scored);
	return n;
}

int wn_antonyms(const wordnet *wn, int lemma, int pos, int maxsenses, int *out, int cap)
{
	const uint32_t *sen;
	int ns = wn_senses(wn, lemma, pos, &sen), n = 0;
	if (ns > maxsenses)
		ns = maxsenses;
	for (int i = 0; i < ns; i++) {
		const wn_synset *sy = &wn->syn[sen[i]];
		int wnum = 0;
		for (int w = 0; w < sy->nwords; w++)
			if (wn->word[sy->word0 + (uint32_t)w].lemma == lemma)
				wnum = w + 1;
		int before = n;
		for (int pass = 0; pass < 3; pass++) {
			/* pass 0: the word's own antonyms; pass 1: a satellite's head's;
			 * pass 2 (when still none): those of the synset's other words */
			const wn_synset *src = sy;
			int want = wnum;
			if (pass == 2) {
				if (n > before)
					break;
				want = 0;
			}
			if (pass == 1) {
				if (!(sy->pos == WN_ADJ && sy->satellite))
					continue;
				src = NULL;
				for (uint32_t k = 0; k < sy->nptrs; k++)
					if (wn->ptr[sy->ptr0 + k].kind == WN_SIMILAR)
						src = &wn->syn[wn->ptr[sy->ptr0 + k].target];
				if (!src)
					continue;
				want = 0;
			}
			for (uint32_t k = 0; k < src->nptrs; k++) {
				const wn_ptr *p = &wn->ptr[src->ptr0 + k];
				if (p->kind != WN_ANTONYM || (want && p->src && p->src != want))
					continue;
				const wn_synset *t = &wn->syn[p->target];
				for (int w = 0; w < t->nwords; w++) {
					if (p->dst && p->dst != w + 1)
						continue;
					int id = wn->word[t->word0 + (uint32_t)w].lemma, dup = 0;
					for (int j = 0; j < n; j++)
						dup |= out[j] == id;
					if (!dup && id != lemma && n < cap)
						out[n++] = id;
				}
			}
		}
	}
	return n;
}

/* ---- glosses ---- */

wn_text wn_definition(const wordnet *wn, uint32_t s)
{
	const wn_synset *sy = &wn->syn[s];
	const char *g = sy->gloss, *e = g + sy->gloss_len;
	const char *q = memchr(g, '"', sy->gloss_len);
	if (q)
		e = q;
	while (e > g && (e[-1] == ' ' || e[-1] == ';'))
		e--;
	return (wn_text){g, (size_t)(e - g)};
}

int wn_examples(const wordnet *wn, uint32_t s, wn_text *out, int cap)
{
	const wn_synset *sy = &wn->syn[s];
	const char *p = sy->gloss, *e = p + sy->gloss_len;
	int n = 0;
	while (p < e && n < cap) {
		const char *a = memchr(p, '"', (size_t)(e - p));
		if (!a)
			break;
		const char *b = memchr(a + 1, '"', (size_t)(e - a - 1));
		if (!b)
			break;
		if (b > a + 1)
			out[n++] = (wn_text){a + 1, (size_t)(b - a - 1)};
		p = b + 1;
	}
	return n;
}
