/* vectors.c — GloVe / word2vec text reader, fresh vocabulary, embedding init. */
#include "wordvec/vectors.h"
#include "base/err.h"
#include "base/gemm.h"
#include "base/rng.h"
#include "base/strmap.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

/* ---- reading ---- */

void wordvecs_free(wordvecs *wv)
{
	free(wv->words);
	free(wv->vecs);
	free(wv->pool);
	memset(wv, 0, sizeof *wv);
}

/* Next line of g into *buf (grown as needed), without the newline or CR.
 * Returns its length, or -1 at end of file (-2 on a read error or OOM). */
static long read_line(gzFile g, char **buf, size_t *cap)
{
	size_t len = 0;
	for (;;) {
		if (*cap - len < 2) {
			size_t nc = *cap ? 2 * *cap : 65536;
			char *nb = realloc(*buf, nc);
			if (!nb)
				return -2;
			*buf = nb;
			*cap = nc;
		}
		if (!gzgets(g, *buf + len, (int)(*cap - len < 1u << 30 ? *cap - len : 1u << 30))) {
			int e;
			gzerror(g, &e);
			if (e != Z_OK && e != Z_STREAM_END)
				return -2;
			if (len == 0)
				return -1;
			break;
		}
		len += strlen(*buf + len);
		if (len && (*buf)[len - 1] == '\n')
			break;
	}
	while (len && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
		len--;
	(*buf)[len] = 0;
	return (long)len;
}

/* Split s in place on spaces and tabs; up to max fields in f; returns the
 * count of fields (which may exceed max: the rest are counted, not stored). */
static int split(char *s, char **f, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n < max)
			f[n] = s;
		n++;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
	return n;
}

static int parse_count(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 0x7fffffffL)
		return 0;
	*out = v;
	return 1;
}

int wordvecs_read(wordvecs *wv, const char *path, int max_words, char *err,
                  size_t errlen)
{
	memset(wv, 0, sizeof *wv);
	errno = 0;
	gzFile g = gzopen(path, "rb");
	if (!g) {
		seterr(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
		return -1;
	}
	gzbuffer(g, 1 << 17);
	char *line = NULL, **f = NULL;
	size_t cap = 0, poolcap = 0, poollen = 0, *off = NULL;
	long lineno = 0, header_count = 0;
	int dim = 0, fcap = 0, rowcap = 0, rc = -1;
	for (;;) {
		if (max_words > 0 && wv->n >= max_words)
			break;
		long len = read_line(g, &line, &cap);
		if (len == -1)
			break;
		if (len == -2) {
			int e;
			const char *m = gzerror(g, &e);
			/* zlib's message starts with the path: keep only what follows */
			size_t pl = strlen(path);
			if (m && !strncmp(m, path, pl) && !strncmp(m + pl, ": ", 2))
				m += pl + 2;
			seterr(err, errlen, "%s:%ld: read error: %s", path, lineno + 1,
			       e == Z_ERRNO ? strerror(errno) : m ? m : "unknown");
			goto out;
		}
		lineno++;
		if (fcap == 0) {
			fcap = 1024;
			if (!(f = malloc((size_t)fcap * sizeof *f)))
				goto oom;
		}
		int nf = split(line, f, fcap);
		if (nf == 0)
			continue;   /* blank line */
		if (dim == 0) {
			long c, d;
			if (nf == 2 && parse_count(f[0], &c) && parse_count(f[1], &d)) {
				header_count = c;   /* word2vec "count dim" */
				dim = (int)d;
				if (dim >= fcap) {
					fcap = dim + 2;
					char **nfp = realloc(f, (size_t)fcap * sizeof *f);
					if (!nfp)
						goto oom;
					f = nfp;
				}
				continue;
			}
			if (nf < 2) {
				seterr(err, errlen, "%s:%ld: expected a word and its vector, got 1 field",
				       path, lineno);
				goto out;
			}
			dim = nf - 1;
			if (nf > fcap) {   /* wider than the first guess: split again */
				fcap = nf + 1;
				char **nfp = realloc(f, (size_t)fcap * sizeof *f);
				if (!nfp)
					goto oom;
				f = nfp;
				/* the line was cut with NULs: rejoin it */
				for (long i = 0; i < len; i++)
					if (!line[i])
						line[i] = ' ';
				split(line, f, fcap);
			}
		}
		if (nf != dim + 1) {
			seterr(err, errlen, "%s:%ld: expected %d fields (a word and %d numbers), got %d",
			       path, lineno, dim + 1, dim, nf);
			goto out;
		}
		if (header_count && wv->n >= header_count) {
			seterr(err, errlen, "%s:%ld: more vectors than the %ld of the header", path,
			       lineno, header_count);
			goto out;
		}
		if (wv->n == rowcap) {
			rowcap = rowcap ? 2 * rowcap : 1024;
			float *nv = realloc(wv->vecs, (size_t)rowcap * dim * sizeof *nv);
			size_t *no = realloc(off, (size_t)rowcap * sizeof *no);
			if (nv)
				wv->vecs = nv;
			if (no)
				off = no;
			if (!nv || !no)
				goto oom;
		}
		float *v = wv->vecs + (size_t)wv->n * dim;
		for (int k = 0; k < dim; k++) {
			char *end;
			errno = 0;
			float x = strtof(f[k + 1], &end);
			if (end == f[k + 1] || *end || !isfinite(x)) {
				seterr(err, errlen, "%s:%ld: field %d: bad number \"%.40s\"", path, lineno,
				       k + 2, f[k + 1]);
				goto out;
			}
			v[k] = x;
		}
		size_t wl = strlen(f[0]);
		if (poollen + wl + 1 > poolcap) {
			size_t nc = poolcap ? 2 * poolcap : 65536;
			while (nc < poollen + wl + 1)
				nc *= 2;
			char *np = realloc(wv->pool, nc);
			if (!np)
				goto oom;
			wv->pool = np;
			poolcap = nc;
		}
		memcpy(wv->pool + poollen, f[0], wl + 1);
		off[wv->n++] = poollen;
		poollen += wl + 1;
	}
	if (wv->n == 0) {
		seterr(err, errlen, "%s: no vectors", path);
		goto out;
	}
	if (header_count && wv->n < header_count && !(max_words > 0 && wv->n >= max_words)) {
		seterr(err, errlen, "%s: the header says %ld vectors, the file has %d (truncated?)",
		       path, header_count, wv->n);
		goto out;
	}
	if (!(wv->words = malloc((size_t)wv->n * sizeof *wv->words)))
		goto oom;
	for (int i = 0; i < wv->n; i++)
		wv->words[i] = wv->pool + off[i];
	wv->dim = dim;
	rc = 0;
	goto out;
oom:
	seterr(err, errlen, "%s: out of memory", path);
out:
	gzclose(g);
	free(line);
	free(f);
	free(off);
	if (rc < 0)
		wordvecs_free(wv);
	return rc;
}

/* ---- normalisation as the BERT basic tokenizer ---- */

static int is_ws(int32_t c)
{
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
		return 1;
	return utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

static int is_control(int32_t c)
{
	if (c == '\t' || c == '\n' || c == '\r')
		return 0;
	int cat = utf8proc_category(c);
	return c == 0 || c == 0xfffd || cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF;
}

static int is_punct(int32_t c)
{
	if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
	    (c >= 123 && c <= 126))
		return 1;
	int cat = utf8proc_category(c);
	return cat == UTF8PROC_CATEGORY_PC || cat == UTF8PROC_CATEGORY_PD ||
	       cat == UTF8PROC_CATEGORY_PS || cat == UTF8PROC_CATEGORY_PE ||
	       cat == UTF8PROC_CATEGORY_PI || cat == UTF8PROC_CATEGORY_PF ||
	       cat == UTF8PROC_CATEGORY_PO;
}

static int is_cjk(int32_t c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	       (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2b73f) ||
	       (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b820 && c <= 0x2ceaf) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

static int is_letter(int32_t c)
{
	int cat = utf8proc_category(c);
	return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
	       cat == UTF8PROC_CATEGORY_LT;
}

/* Decode word into code points (malloc'ed); -1 on invalid UTF-8 or OOM. */
static long decode(const char *w, int32_t **cps)
{
	size_t len = strlen(w);
	*cps = malloc((len + 1) * sizeof **cps);
	if (!*cps)
		return -2;
	long n = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)w;
	while (len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)len, &c);
		if (k <= 0) {
			free(*cps);
			*cps = NULL;
			return -1;
		}
		(*cps)[n++] = c;
		p += k;
		len -= (size_t)k;
	}
	return n;
}

/* Normalised code points of a decoded word (lowercase + strip accents when
 * lowercase), malloc'ed into *out; returns the count or -2 on OOM. */
static long normalize_cps(const int32_t *in, long n, int lowercase, int32_t **out)
{
	/* NFD expands a code point to at most 4 here (utf8proc's maximum is 4 for
	 * canonical decompositions of BMP + SMP characters); grow if ever needed */
	size_t cap = (size_t)n * 4 + 4, m = 0;
	int32_t *o = malloc(cap * sizeof *o);
	if (!o)
		return -2;
	for (long i = 0; i < n; i++) {
		int32_t c = in[i];
		if (lowercase) {
			if (c == 0x3a3) {   /* Python's final-sigma rule */
				int before = i > 0 && is_letter(in[i - 1]);
				int after = i + 1 < n && is_letter(in[i + 1]);
				c = before && !after ? 0x3c2 : 0x3c3;
			} else
				c = utf8proc_tolower(c);
			utf8proc_int32_t d[16];
			int last = 0;
			utf8proc_ssize_t k = utf8proc_decompose_char(c, d, 16, UTF8PROC_DECOMPOSE, &last);
			if (k < 1 || k > 16) {
				d[0] = c;
				k = 1;
			}
			for (utf8proc_ssize_t j = 0; j < k; j++) {
				if (utf8proc_category(d[j]) == UTF8PROC_CATEGORY_MN)
					continue;
				if (m == cap) {
					cap *= 2;
					int32_t *no = realloc(o, cap * sizeof *o);
					if (!no) {
						free(o);
						return -2;
					}
					o = no;
				}
				o[m++] = d[j];
			}
		} else
			o[m++] = c;
	}
	*out = o;
	return (long)m;
}

static char *encode(const int32_t *cps, long n)
{
	char *s = malloc((size_t)n * 4 + 1), *p = s;
	if (!s)
		return NULL;
	for (long i = 0; i < n; i++)
		p += utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)p);
	*p = 0;
	return s;
}

int vocab_normalize_word(const char *word, int lowercase, char **out)
{
	int32_t *cps = NULL, *nc = NULL;
	*out = NULL;
	long n = decode(word, &cps);
	if (n == -2)
		return -1;
	if (n < 0)
		return 0;
	int single = n > 0;
	for (long i = 0; i < n; i++)
		if (is_ws(cps[i]) || is_control(cps[i]) || (is_cjk(cps[i]) && n > 1))
			single = 0;
	long m = normalize_cps(cps, n, lowercase, &nc);
	free(cps);
	if (m == -2)
		return -1;
	if (m == 0 || m > 100)
		single = 0;
	for (long i = 0; i < m; i++)
		if (is_punct(nc[i]) && m > 1)
			single = 0;
	*out = encode(nc, m);
	free(nc);
	if (!*out)
		return -1;
	return single;
}

/* ---- vocabulary ---- */

void vocab_free(char **tokens, int ntokens)
{
	if (!tokens)
		return;
	for (int i = 0; i < ntokens; i++)
		free(tokens[i]);
	free(tokens);
}

static int cmp_cp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

char **vocab_build(const char *const *words, int nwords, int max_whole, int lowercase,
                   int *ntokens, char *err, size_t errlen)
{
	static const char *const specials[] = { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
	strmap m;
	strmap_init(&m);
	char **tok = NULL;
	int32_t *chars = NULL;
	size_t ncap = 0, nchars = 0, tcap = 0;
	int nt = 0, nwhole = 0, ok = 0;
	*ntokens = 0;

#define ADD(s, len) do { \
		size_t l_ = (len); \
		if (strmap_find(&m, (s), l_) < 0) { \
			if (strmap_intern(&m, (s), l_) < 0) goto done; \
			if ((size_t)nt == tcap) { \
				tcap = tcap ? 2 * tcap : 1024; \
				char **t_ = realloc(tok, tcap * sizeof *t_); \
				if (!t_) goto done; \
				tok = t_; \
			} \
			if (!(tok[nt] = malloc(l_ + 1))) goto done; \
			memcpy(tok[nt], (s), l_); \
			tok[nt][l_] = 0; \
			nt++; \
		} \
	} while (0)

	for (int i = 0; i < 5; i++)
		ADD(specials[i], strlen(specials[i]));
	for (int i = 0; i < nwords; i++) {
		char *w = NULL;
		int r = vocab_normalize_word(words[i], lowercase, &w);
		if (r < 0)
			goto done;
		if (!w)
			continue;
		if (r == 1 && (max_whole <= 0 || nwhole < max_whole)) {
			size_t before = (size_t)nt;
			ADD(w, strlen(w));
			if ((size_t)nt > before)
				nwhole++;
		}
		/* its characters */
		const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)w;
		utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(w);
		while (len > 0) {
			utf8proc_int32_t c;
			utf8proc_ssize_t k = utf8proc_iterate(p, len, &c);
			if (k <= 0)
				break;
			if (!is_ws(c) && !is_control(c)) {
				if (nchars == ncap) {
					ncap = ncap ? 2 * ncap : 4096;
					int32_t *nc = realloc(chars, ncap * sizeof *nc);
					if (!nc) {
						free(w);
						goto done;
					}
					chars = nc;
				}
				chars[nchars++] = c;
				/* keep the list short: dedupe when it fills up */
				if (nchars == ncap) {
					qsort(chars, nchars, sizeof *chars, cmp_cp);
					size_t u = 0;
					for (size_t j = 0; j < nchars; j++)
						if (!u || chars[u - 1] != chars[j])
							chars[u++] = chars[j];
					nchars = u;
				}
			}
			p += k;
			len -= k;
		}
		free(w);
	}
	if (nchars)
		qsort(chars, nchars, sizeof *chars, cmp_cp);
	for (size_t j = 0; j < nchars; j++) {
		if (j && chars[j] == chars[j - 1])
			continue;
		char buf[16];
		buf[0] = buf[1] = '#';
		int k = (int)utf8proc_encode_char(chars[j], (utf8proc_uint8_t *)buf + 2);
		ADD(buf + 2, (size_t)k);
		ADD(buf, (size_t)k + 2);
	}
#undef ADD
	ok = 1;
done:
	strmap_free(&m);
	free(chars);
	if (!ok) {
		vocab_free(tok, nt);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	*ntokens = nt;
	return tok;
}

/* ---- embedding initialisation ---- */

static int is_special_token(const char *t)
{
	size_t n = strlen(t);
	return n > 2 && t[0] == '[' && t[n - 1] == ']';
}

int vectors_init_embeddings(float *wte, int V, int H, const char *const *tokens,
                            const wordvecs *wv, int lowercase, uint64_t seed,
                            double target_rms, int *nset, char *err, size_t errlen)
{
	strmap m;
	strmap_init(&m);
	int *first = NULL, *rows = NULL, *src = NULL, ns = 0, rc = -1;
	float *P = NULL, *X = NULL;
	const int D = wv->dim;
	if (nset)
		*nset = 0;
	if (V < 1 || H < 1 || D < 1) {
		seterr(err, errlen, "bad sizes (vocabulary %d, hidden %d, vectors %d)", V, H, D);
		return -1;
	}
	if (!(first = malloc((size_t)wv->n * sizeof *first)) ||
	    !(rows = malloc((size_t)V * sizeof *rows)) || !(src = malloc((size_t)V * sizeof *src)))
		goto oom;
	/* normalised vector word -> its first (most frequent) row */
	for (int i = 0; i < wv->n; i++) {
		char *w = NULL;
		int r = vocab_normalize_word(wv->words[i], lowercase, &w);
		if (r < 0)
			goto oom;
		if (!w)
			continue;
		uint32_t before = m.n;
		int id = strmap_intern(&m, w, strlen(w));
		free(w);
		if (id < 0)
			goto oom;
		if ((uint32_t)id == before)
			first[id] = i;
	}
	for (int t = 0; t < V; t++) {
		const char *s = tokens[t];
		if (!s || !strncmp(s, "##", 2) || is_special_token(s))
			continue;
		int id = strmap_find(&m, s, strlen(s));
		if (id < 0)
			continue;
		rows[ns] = t;
		src[ns] = first[id];
		ns++;
	}
	if (D != H) {
		/* P (H,D), N(0, 1/D), a pure function of the seed */
		if (!(P = malloc((size_t)H * D * sizeof *P)))
			goto oom;
		uint64_t key = rng_derive(seed, 0x70726f6a656374ULL);
		float sc = (float)(1.0 / sqrt((double)D));
		for (size_t i = 0; i < (size_t)H * D; i++)
			P[i] = (float)rng_normal_at(key, i) * sc;
	}
	/* rows in chunks: X (chunk, D) gathered, Y = X P^T written into wte */
	enum { CH = 1024 };
	if (!(X = malloc((size_t)CH * (D > H ? D : H) * 2 * sizeof *X)))
		goto oom;
	float *Y = X + (size_t)CH * (D > H ? D : H);
	for (int c0 = 0; c0 < ns; c0 += CH) {
		int nc = ns - c0 < CH ? ns - c0 : CH;
		for (int r = 0; r < nc; r++)
			memcpy(X + (size_t)r * D, wv->vecs + (size_t)src[c0 + r] * D, (size_t)D * sizeof *X);
		const float *out = X;
		if (P) {
			/* Y (nc,H) = X (nc,D) . P^T (D,H), P^T[k][h] = P[h*D + k] */
			gemm_f32(nc, H, D, 1.0f, X, D, 1, P, 1, D, 0.0f, Y, H, 1, 0);
			out = Y;
		}
		for (int r = 0; r < nc; r++)
			memcpy(wte + (size_t)rows[c0 + r] * H, out + (size_t)r * H, (size_t)H * sizeof *wte);
	}
	if (target_rms > 0 && ns > 0) {
		double ss = 0;
		for (int r = 0; r < ns; r++) {
			const float *w = wte + (size_t)rows[r] * H;
			for (int h = 0; h < H; h++)
				ss += (double)w[h] * w[h];
		}
		double rms = sqrt(ss / ((double)ns * H));
		if (rms > 0) {
			float f = (float)(target_rms / rms);
			for (int r = 0; r < ns; r++) {
				float *w = wte + (size_t)rows[r] * H;
				for (int h = 0; h < H; h++)
					w[h] *= f;
			}
		}
	}
	if (nset)
		*nset = ns;
	rc = 0;
	goto out;
oom:
	seterr(err, errlen, "out of memory");
out:
	strmap_free(&m);
	free(first);
	free(rows);
	free(src);
	free(P);
	free(X);
	return rc;
}

int word_list_read(const char *path, char ***words, int64_t **counts, int *n, char *err,
                   size_t errlen)
{
	*words = NULL;
	*n = 0;
	if (counts)
		*counts = NULL;
	gzFile f = gzopen(path, "rb");
	if (!f) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	char **w = NULL;
	int64_t *c = NULL;
	int nw = 0, cap = 0, rc = -1;
	long ln = 0;
	while (gzgets(f, line, sizeof line)) {
		ln++;
		size_t len = strlen(line);
		if (len == sizeof line - 1 && line[len - 1] != '\n' && !gzeof(f)) {
			seterr(err, errlen, "%s:%ld: line longer than %zu bytes", path, ln, sizeof line - 2);
			goto done;
		}
		char *p = line + strspn(line, " \t\r\n");
		size_t k = strcspn(p, " \t\r\n");
		if (k == 0)
			continue;
		int64_t cnt = 0;
		char *q = p + k + strspn(p + k, " \t");
		size_t k2 = strcspn(q, " \t\r\n");
		if (k2 > 0 && strspn(p, "0123456789") == k && k <= 18) {
			cnt = strtoll(p, NULL, 10);
			p = q;
			k = k2;
		}
		if (nw == cap) {
			cap = cap ? 2 * cap : 1024;
			char **nw2 = realloc(w, (size_t)cap * sizeof *w);
			int64_t *nc = realloc(c, (size_t)cap * sizeof *c);
			if (nw2)
				w = nw2;
			if (nc)
				c = nc;
			if (!nw2 || !nc) {
				seterr(err, errlen, "out of memory");
				goto done;
			}
		}
		if (!(w[nw] = malloc(k + 1))) {
			seterr(err, errlen, "out of memory");
			goto done;
		}
		memcpy(w[nw], p, k);
		w[nw][k] = 0;
		c[nw++] = cnt;
	}
	int e = 0;
	const char *msg = gzerror(f, &e);
	if (e != Z_OK && e != Z_STREAM_END) {
		seterr(err, errlen, "%s: %s", path, msg);
		goto done;
	}
	if (nw == 0) {
		seterr(err, errlen, "%s: no words", path);
		goto done;
	}
	rc = 0;
done:
	gzclose(f);
	if (rc) {
		for (int i = 0; i < nw; i++)
			free(w[i]);
		free(w);
		free(c);
		return -1;
	}
	*words = w;
	*n = nw;
	if (counts)
		*counts = c;
	else
		free(c);
	return 0;
}
