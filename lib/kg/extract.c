/* extract.c — rules + WordNet knowledge extraction; see extract.h (the
 * rooms of the extractor: extract_int.h). */
#include "kg/extract_int.h"
#include "base/cli.h"
#include "base/rng.h"
#include "base/strmap.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- closed-class words ---- */

const closed_word kgx_closed_words[] = {
	{"a", KG_DET, 0, 0, 0}, {"an", KG_DET, 0, 0, 0}, {"the", KG_DET, 0, 0, 0},
	{"this", KG_DET, 0, 0, 0}, {"that", KG_DET, 0, 0, 0}, {"these", KG_DET, 0, 0, 0},
	{"those", KG_DET, 0, 0, 0}, {"some", KG_DET, 0, 0, 0}, {"any", KG_DET, 0, 0, 0},
	{"every", KG_DET, 0, 0, 0}, {"each", KG_DET, 0, 0, 0}, {"no", KG_DET, 0, 0, 0},
	{"all", KG_DET, 0, 0, 0}, {"both", KG_DET, 0, 0, 0}, {"either", KG_DET, 0, 0, 0},
	{"neither", KG_DET, 0, 0, 0}, {"several", KG_DET, 0, 0, 0}, {"many", KG_DET, 0, 0, 0},
	{"much", KG_DET, 0, 0, 0}, {"few", KG_DET, 0, 0, 0}, {"more", KG_DET, 0, 0, 0},
	{"most", KG_DET, 0, 0, 0}, {"another", KG_DET, 0, 0, 0}, {"such", KG_DET, 0, 0, 0},
	{"what", KG_SUB, 0, 0, 0}, {"whatever", KG_SUB, 0, 0, 0}, {"which", KG_SUB, 0, 0, 0},
	{"whose", KG_SUB, 0, 0, 0}, {"enough", KG_DET, 0, 0, 0}, {"less", KG_DET, 0, 0, 0},
	{"my", KG_POSS, 0, 0, 0}, {"your", KG_POSS, 0, 0, 0}, {"his", KG_POSS, 0, 0, 0},
	{"her", KG_POSS, 0, 0, 0}, {"its", KG_POSS, 0, 0, 0}, {"our", KG_POSS, 0, 0, 0},
	{"their", KG_POSS, 0, 0, 0}, {"'s", KG_POSS, 0, 0, 0}, {"'", KG_PUNCT, 0, 0, 0},
	{"i", KG_PRON, 0, 0, P_HUMAN | P_SUBJ}, {"me", KG_PRON, 0, 0, P_HUMAN},
	{"you", KG_PRON, 0, 0, P_HUMAN | P_SUBJ}, {"he", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"him", KG_PRON, 0, 0, P_HUMAN}, {"she", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"it", KG_PRON, 0, 0, P_SUBJ}, {"we", KG_PRON, 0, 0, P_HUMAN | P_PLURAL | P_SUBJ},
	{"us", KG_PRON, 0, 0, P_HUMAN | P_PLURAL},
	{"they", KG_PRON, 0, 0, P_PLURAL | P_SUBJ}, {"them", KG_PRON, 0, 0, P_PLURAL},
	{"myself", KG_PRON, 0, 0, P_HUMAN}, {"yourself", KG_PRON, 0, 0, P_HUMAN},
	{"himself", KG_PRON, 0, 0, P_HUMAN}, {"herself", KG_PRON, 0, 0, P_HUMAN},
	{"itself", KG_PRON, 0, 0, 0}, {"ourselves", KG_PRON, 0, 0, P_HUMAN | P_PLURAL},
	{"yourselves", KG_PRON, 0, 0, P_HUMAN | P_PLURAL},
	{"themselves", KG_PRON, 0, 0, P_PLURAL},
	{"someone", KG_PRON, 0, 0, P_HUMAN | P_SUBJ}, {"somebody", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"something", KG_PRON, 0, 0, P_SUBJ}, {"anyone", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"anybody", KG_PRON, 0, 0, P_HUMAN | P_SUBJ}, {"anything", KG_PRON, 0, 0, P_SUBJ},
	{"everyone", KG_PRON, 0, 0, P_HUMAN | P_SUBJ}, {"everybody", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"everything", KG_PRON, 0, 0, P_SUBJ}, {"nobody", KG_PRON, 0, 0, P_HUMAN | P_SUBJ},
	{"nothing", KG_PRON, 0, 0, P_SUBJ}, {"mine", KG_PRON, 0, 0, 0}, {"yours", KG_PRON, 0, 0, 0},
	{"hers", KG_PRON, 0, 0, 0}, {"ours", KG_PRON, 0, 0, 0}, {"theirs", KG_PRON, 0, 0, 0},
	{"who", KG_SUB, 0, 0, 0}, {"whom", KG_SUB, 0, 0, 0}, {"whoever", KG_SUB, 0, 0, 0},
	{"of", KG_PREP, 0, 0, 0}, {"in", KG_PREP, 0, 0, 0}, {"on", KG_PREP, 0, 0, 0},
	{"at", KG_PREP, 0, 0, 0}, {"by", KG_PREP, 0, 0, 0}, {"for", KG_PREP, 0, 0, 0},
	{"with", KG_PREP, 0, 0, 0}, {"from", KG_PREP, 0, 0, 0}, {"into", KG_PREP, 0, 0, 0},
	{"onto", KG_PREP, 0, 0, 0}, {"upon", KG_PREP, 0, 0, 0}, {"about", KG_PREP, 0, 0, 0},
	{"above", KG_PREP, 0, 0, 0}, {"across", KG_PREP, 0, 0, 0}, {"after", KG_PREP, 0, 0, 0},
	{"against", KG_PREP, 0, 0, 0}, {"along", KG_PREP, 0, 0, 0}, {"amid", KG_PREP, 0, 0, 0},
	{"among", KG_PREP, 0, 0, 0}, {"around", KG_PREP, 0, 0, 0}, {"before", KG_PREP, 0, 0, 0},
	{"behind", KG_PREP, 0, 0, 0}, {"below", KG_PREP, 0, 0, 0}, {"beneath", KG_PREP, 0, 0, 0},
	{"beside", KG_PREP, 0, 0, 0}, {"besides", KG_PREP, 0, 0, 0}, {"between", KG_PREP, 0, 0, 0},
	{"beyond", KG_PREP, 0, 0, 0}, {"despite", KG_PREP, 0, 0, 0}, {"during", KG_PREP, 0, 0, 0},
	{"except", KG_PREP, 0, 0, 0}, {"inside", KG_PREP, 0, 0, 0}, {"near", KG_PREP, 0, 0, 0},
	{"off", KG_PREP, 0, 0, 0}, {"outside", KG_PREP, 0, 0, 0}, {"over", KG_PREP, 0, 0, 0},
	{"through", KG_PREP, 0, 0, 0}, {"throughout", KG_PREP, 0, 0, 0}, {"till", KG_PREP, 0, 0, 0},
	{"toward", KG_PREP, 0, 0, 0}, {"towards", KG_PREP, 0, 0, 0}, {"under", KG_PREP, 0, 0, 0},
	{"underneath", KG_PREP, 0, 0, 0}, {"until", KG_PREP, 0, 0, 0}, {"unlike", KG_PREP, 0, 0, 0},
	{"up", KG_PREP, 0, 0, 0}, {"within", KG_PREP, 0, 0, 0}, {"without", KG_PREP, 0, 0, 0},
	{"via", KG_PREP, 0, 0, 0}, {"per", KG_PREP, 0, 0, 0}, {"like", KG_PREP, 0, 0, 0},
	{"than", KG_PREP, 0, 0, 0}, {"since", KG_PREP, 0, 0, 0}, {"as", KG_PREP, 0, 0, 0},
	{"down", KG_PREP, 0, 0, 0}, {"out", KG_PREP, 0, 0, 0}, {"onto", KG_PREP, 0, 0, 0},
	{"and", KG_CONJ, 0, 0, 0}, {"or", KG_CONJ, 0, 0, 0}, {"but", KG_CONJ, 0, 0, 0},
	{"nor", KG_CONJ, 0, 0, 0}, {"plus", KG_CONJ, 0, 0, 0},
	{"because", KG_SUB, 0, 0, 0}, {"although", KG_SUB, 0, 0, 0}, {"though", KG_SUB, 0, 0, 0},
	{"while", KG_SUB, 0, 0, 0}, {"whereas", KG_SUB, 0, 0, 0}, {"if", KG_SUB, 0, 0, 0},
	{"unless", KG_SUB, 0, 0, 0}, {"whether", KG_SUB, 0, 0, 0}, {"when", KG_SUB, 0, 0, 0},
	{"whenever", KG_SUB, 0, 0, 0}, {"where", KG_SUB, 0, 0, 0}, {"wherever", KG_SUB, 0, 0, 0},
	{"why", KG_SUB, 0, 0, 0}, {"how", KG_SUB, 0, 0, 0}, {"once", KG_SUB, 0, 0, 0},
	{"be", KG_AUX, WN_VB, "be", 0}, {"am", KG_AUX, WN_VB, "be", 0}, {"is", KG_AUX, WN_VBZ, "be", 0},
	{"are", KG_AUX, WN_VB, "be", 0}, {"was", KG_AUX, WN_VBD, "be", 0},
	{"were", KG_AUX, WN_VBD, "be", 0}, {"been", KG_AUX, WN_VBN, "be", 0},
	{"being", KG_AUX, WN_VBG, "be", 0}, {"'m", KG_AUX, WN_VB, "be", 0},
	{"'re", KG_AUX, WN_VB, "be", 0},
	{"have", KG_AUX, WN_VB, "have", 0}, {"has", KG_AUX, WN_VBZ, "have", 0},
	{"had", KG_AUX, WN_VBD, "have", 0}, {"having", KG_AUX, WN_VBG, "have", 0},
	{"'ve", KG_AUX, WN_VB, "have", 0},
	{"do", KG_AUX, WN_VB, "do", 0}, {"does", KG_AUX, WN_VBZ, "do", 0},
	{"did", KG_AUX, WN_VBD, "do", 0},
	{"can", KG_MODAL, 0, 0, 0}, {"could", KG_MODAL, 0, 0, 0}, {"may", KG_MODAL, 0, 0, 0},
	{"might", KG_MODAL, 0, 0, 0}, {"must", KG_MODAL, 0, 0, 0}, {"shall", KG_MODAL, 0, 0, 0},
	{"should", KG_MODAL, 0, 0, 0}, {"will", KG_MODAL, 0, 0, 0}, {"would", KG_MODAL, 0, 0, 0},
	{"'ll", KG_MODAL, 0, 0, 0}, {"'d", KG_MODAL, 0, 0, 0}, {"ought", KG_MODAL, 0, 0, 0},
	{"not", KG_NEG, 0, 0, 0}, {"n't", KG_NEG, 0, 0, 0}, {"never", KG_NEG, 0, 0, 0},
	{"to", KG_TO, 0, 0, 0}, {"there", KG_EX, 0, 0, 0},
	{"very", KG_ADV, 0, 0, 0}, {"too", KG_ADV, 0, 0, 0}, {"also", KG_ADV, 0, 0, 0},
	{"just", KG_ADV, 0, 0, 0}, {"only", KG_ADV, 0, 0, 0}, {"even", KG_ADV, 0, 0, 0},
	{"still", KG_ADV, 0, 0, 0}, {"already", KG_ADV, 0, 0, 0}, {"always", KG_ADV, 0, 0, 0},
	{"often", KG_ADV, 0, 0, 0}, {"sometimes", KG_ADV, 0, 0, 0}, {"usually", KG_ADV, 0, 0, 0},
	{"really", KG_ADV, 0, 0, 0}, {"quite", KG_ADV, 0, 0, 0}, {"rather", KG_ADV, 0, 0, 0},
	{"almost", KG_ADV, 0, 0, 0}, {"here", KG_ADV, 0, 0, 0}, {"then", KG_ADV, 0, 0, 0},
	{"now", KG_ADV, 0, 0, 0}, {"again", KG_ADV, 0, 0, 0}, {"ever", KG_ADV, 0, 0, 0},
	{"soon", KG_ADV, 0, 0, 0}, {"perhaps", KG_ADV, 0, 0, 0}, {"maybe", KG_ADV, 0, 0, 0},
	{"so", KG_ADV, 0, 0, 0}, {"however", KG_ADV, 0, 0, 0}, {"therefore", KG_ADV, 0, 0, 0},
	{"thus", KG_ADV, 0, 0, 0}, {"today", KG_ADV, 0, 0, 0}, {"tonight", KG_ADV, 0, 0, 0},
	{"yesterday", KG_ADV, 0, 0, 0}, {"tomorrow", KG_ADV, 0, 0, 0}, {"ago", KG_ADV, 0, 0, 0}, {"yet", KG_ADV, 0, 0, 0}, {"else", KG_ADV, 0, 0, 0},
};

/* Number words: value; scale words multiply. */
const numword kgx_numwords[] = {
	{"zero", 0, 0}, {"one", 1, 0}, {"two", 2, 0}, {"three", 3, 0}, {"four", 4, 0},
	{"five", 5, 0}, {"six", 6, 0}, {"seven", 7, 0}, {"eight", 8, 0}, {"nine", 9, 0},
	{"ten", 10, 0}, {"eleven", 11, 0}, {"twelve", 12, 0}, {"thirteen", 13, 0},
	{"fourteen", 14, 0}, {"fifteen", 15, 0}, {"sixteen", 16, 0}, {"seventeen", 17, 0},
	{"eighteen", 18, 0}, {"nineteen", 19, 0}, {"twenty", 20, 0}, {"thirty", 30, 0},
	{"forty", 40, 0}, {"fifty", 50, 0}, {"sixty", 60, 0}, {"seventy", 70, 0},
	{"eighty", 80, 0}, {"ninety", 90, 0}, {"dozen", 12, 2}, {"hundred", 100, 1},
	{"thousand", 1e3, 1}, {"million", 1e6, 1}, {"billion", 1e9, 1}, {"trillion", 1e12, 1},
};

/* ---- extractor ---- */

kg_extractor *kg_extractor_new(const wordnet *wn)
{
	kg_extractor *x = xcalloc(1, sizeof *x);
	x->wn = wn;
	strmap_init(&x->closed);
	size_t ncw = sizeof kgx_closed_words / sizeof *kgx_closed_words;
	x->closed_idx = xmalloc(ncw * sizeof *x->closed_idx);
	for (size_t i = 0; i < ncw; i++) {
		uint32_t before = x->closed.n;
		int id = strmap_intern(&x->closed, kgx_closed_words[i].w, strlen(kgx_closed_words[i].w));
		if (x->closed.n != before)      /* duplicates keep their first entry */
			x->closed_idx[id] = (int)i;
	}
	x->lem_be = wn_lookup(wn, "be", 2);
	x->lem_have = wn_lookup(wn, "have", 4);
	x->lem_do = wn_lookup(wn, "do", 2);
	return x;
}

void kg_extractor_free(kg_extractor *x)
{
	if (!x)
		return;
	strmap_free(&x->closed);
	free(x->c);
	free(x->closed_idx);
	free(x->in_date);
	free(x->np_first);
	free(x->espan);
	free(x);
}

const wordnet *kg_extractor_wordnet(const kg_extractor *x)
{
	return x->wn;
}


kg_analysis *kg_analysis_new(void)
{
	return xcalloc(1, sizeof(kg_analysis));
}

void kg_analysis_free(kg_analysis *a)
{
	if (!a)
		return;
	free(a->tok);
	free(a->ent);
	free(a->qty);
	free(a->norm);
	free(a);
}

static const char *const tagnames[KG_NTAGS] = {
	"other", "punct", "num", "sym", "det", "poss", "pron", "prep", "conj", "sub",
	"aux", "modal", "neg", "to", "ex", "part", "adv", "adj", "noun", "verb", "name"};

const char *kg_tag_name(int tag)
{
	return tag >= 0 && tag < KG_NTAGS ? tagnames[tag] : "?";
}

const char *kg_type_name(int type)
{
	if (type == KG_TYPE_NAME)
		return "name";
	if (type == KG_TYPE_PRONOUN)
		return "pronoun";
	return wn_lexname(type);
}

/* ---- numbers ---- */

int kgx_numword_index(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof kgx_numwords / sizeof *kgx_numwords; i++)
		if (strlen(kgx_numwords[i].w) == n && !memcmp(kgx_numwords[i].w, w, n))
			return (int)i;
	return -1;
}

int kgx_parse_digits(const char *s, size_t n, double *out)
{
	char buf[64];
	size_t k = 0;
	int seen = 0, dot = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			seen = 1;
			if (k + 1 >= sizeof buf)
				return 0;
			buf[k++] = c;
		} else if (c == ',' && seen && !dot) {
			continue;
		} else if (c == '.' && seen && !dot) {
			dot = 1;
			buf[k++] = c;
		} else if ((c == '-' || c == '+') && i == 0) {
			buf[k++] = c;
		} else
			return 0;
	}
	if (!seen)
		return 0;
	buf[k] = 0;
	char *e;
	double v = strtod(buf, &e);
	if (*e || !isfinite(v))
		return 0;
	*out = v;
	return 1;
}

int kg_parse_number(const char *s, size_t n, double *out)
{
	while (n && s[0] == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	if (!n)
		return 0;
	if ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') && n > 1))
		return kgx_parse_digits(s, n, out);
	double total = 0, cur = 0;
	int any = 0, article = 0, last_was_num = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ' ' && s[j] != '-')
			j++;
		char w[32];
		size_t wl = j - i;
		if (!wl || wl >= sizeof w)
			return 0;
		for (size_t k = 0; k < wl; k++)
			w[k] = (char)tolower((unsigned char)s[i + k]);
		w[wl] = 0;
		int k = kgx_numword_index(w, wl);
		if (k >= 0) {
			const numword *nw = &kgx_numwords[k];
			if (nw->scale == 1) {
				double c = cur ? cur : (article || !any ? 1 : 0);
				if (!cur && any && !article)
					return 0;
				if (nw->v == 100)
					cur = c * 100;
				else {
					total += c * nw->v;
					cur = 0;
				}
			} else if (nw->scale == 2) {      /* dozen */
				cur = (cur ? cur : 1) * 12;
			} else {
				if (last_was_num && cur && (int)cur % 100 != 0 && nw->v < 10 && (int)cur % 10 == 0 && cur >= 20)
					cur += nw->v;
				else if (last_was_num && cur && fmod(cur, 100) != 0)
					return 0;
				else
					cur += nw->v;
			}
			any = 1;
			last_was_num = 1;
			article = 0;
		} else if (!any && (!strcmp(w, "a") || !strcmp(w, "an"))) {
			article = 1;
		} else if (any && !strcmp(w, "and")) {
			last_was_num = 0;
		} else
			return 0;
		i = j;
		while (i < n && (s[i] == ' ' || s[i] == '-'))
			i++;
	}
	if (!any)
		return 0;
	*out = total + cur;
	return 1;
}

int kg_number_words(long v, char *out, size_t cap)
{
	static const char *const ones[] = {
		"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
		"seventeen", "eighteen", "nineteen"};
	static const char *const tens[] = {"", "", "twenty", "thirty", "forty", "fifty",
	                                   "sixty", "seventy", "eighty", "ninety"};
	char b[128];
	size_t n = 0;
	if (v < 0 || v > 999999) {
		int k = snprintf(out, cap, "%ld", v);
		return k < 0 || (size_t)k >= cap ? -1 : k;
	}
	long parts[2] = {v / 1000, v % 1000};
	b[0] = 0;
	for (int p = 0; p < 2; p++) {
		long x = parts[p];
		if (!x && !(p == 1 && v == 0))
			continue;
		if (n)
			n += (size_t)snprintf(b + n, sizeof b - n, " ");
		if (x >= 100) {
			n += (size_t)snprintf(b + n, sizeof b - n, "%s hundred", ones[x / 100]);
			x %= 100;
			if (x)
				n += (size_t)snprintf(b + n, sizeof b - n, " ");
		}
		if (x >= 20) {
			n += (size_t)snprintf(b + n, sizeof b - n, "%s", tens[x / 10]);
			if (x % 10)
				n += (size_t)snprintf(b + n, sizeof b - n, "-%s", ones[x % 10]);
		} else if (x || parts[p] == 0)
			n += (size_t)snprintf(b + n, sizeof b - n, "%s", ones[x]);
		if (p == 0)
			n += (size_t)snprintf(b + n, sizeof b - n, " thousand");
	}
	if (n + 1 > cap)
		return -1;
	memcpy(out, b, n + 1);
	return (int)n;
}

/* ---- tokens ---- */

size_t kgx_norm_put(kg_analysis *a, const char *s, size_t n)
{
	if (a->normlen + n + 1 > a->normcap) {
		size_t c = a->normcap ? a->normcap : 1024;
		while (a->normlen + n + 1 > c)
			c *= 2;
		a->norm = xrealloc(a->norm, c);
		a->normcap = c;
	}
	size_t off = a->normlen;
	memcpy(a->norm + off, s, n);
	a->norm[off + n] = 0;
	a->normlen += n + 1;
	return off;
}

static kg_token *tok_add(kg_analysis *a, int start, int end, int glued)
{
	if (a->ntok == a->tokcap) {
		a->tokcap = a->tokcap ? a->tokcap * 2 : 64;
		a->tok = xrealloc(a->tok, (size_t)a->tokcap * sizeof *a->tok);
	}
	kg_token *t = &a->tok[a->ntok++];
	memset(t, 0, sizeof *t);
	t->start = start;
	t->end = end;
	t->glued = (uint8_t)glued;
	t->lemma = -1;
	t->pos = -1;
	return t;
}

/* Lowercased normal form of text[s..e), with U+2019 as "'"; stored as an offset in
 * t->norm (made a pointer once all tokens exist). */
static void tok_norm(kg_analysis *a, kg_token *t, const char *override)
{
	char buf[512];
	size_t n = 0;
	if (override) {
		n = strlen(override);
		memcpy(buf, override, n);
	} else {
		const char *s = a->text + t->start, *e = a->text + t->end;
		while (s < e && n + 4 < sizeof buf) {
			unsigned char c = (unsigned char)*s;
			if (c == 0xE2 && e - s >= 3 && (unsigned char)s[1] == 0x80 &&
			    ((unsigned char)s[2] == 0x99 || (unsigned char)s[2] == 0x98)) {
				buf[n++] = '\'';
				s += 3;
			} else {
				buf[n++] = (char)tolower(c);
				s++;
			}
		}
	}
	t->norm = (const char *)(uintptr_t)kgx_norm_put(a, buf, n);
}

int kgx_cp_at(const char *s, size_t len, size_t i, int32_t *cp)
{
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	                                      (utf8proc_ssize_t)(len - i), cp);
	if (k <= 0) {
		*cp = (unsigned char)s[i];
		return 1;
	}
	return (int)k;
}

static int is_letter_cp(int32_t cp)
{
	if (cp < 128)
		return isalpha(cp);
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT ||
	       c == UTF8PROC_CATEGORY_LM || c == UTF8PROC_CATEGORY_LO || c == UTF8PROC_CATEGORY_MN ||
	       c == UTF8PROC_CATEGORY_MC;
}

static int is_space_cp(int32_t cp)
{
	if (cp < 128)
		return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v';
	utf8proc_category_t c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP ||
	       c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF;
}

static int is_apos(const char *s, size_t len, size_t i, int *w)
{
	if (s[i] == '\'') {
		*w = 1;
		return 1;
	}
	if (i + 2 < len && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
	    (unsigned char)s[i + 2] == 0x99) {
		*w = 3;
		return 1;
	}
	return 0;
}

/* Contraction suffixes split off a word. */
static const char *const clitics[] = {"s", "m", "re", "ve", "ll", "d", NULL};

static void tokenize(kg_analysis *a)
{
	const char *s = a->text;
	size_t len = a->len, i = 0;
	int space = 1;
	a->ntok = 0;
	a->normlen = 0;
	while (i < len) {
		int32_t cp;
		int k = kgx_cp_at(s, len, i, &cp);
		if (is_space_cp(cp)) {
			i += (size_t)k;
			space = 1;
			continue;
		}
		size_t st = i;
		if (isdig(s[i])) {
			size_t j = i;
			while (j < len && isdig(s[j]))
				j++;
			int dot = 0;
			for (;;) {
				if (j + 3 < len + 0 && s[j] == ',' && isdig(s[j + 1]) && isdig(s[j + 2]) &&
				    isdig(s[j + 3]) && (j + 4 >= len || !isdig(s[j + 4])) && !dot) {
					j += 4;
				} else if (j + 1 < len && s[j] == '.' && isdig(s[j + 1]) && !dot) {
					dot = 1;
					j++;
					while (j < len && isdig(s[j]))
						j++;
				} else
					break;
			}
			kg_token *t = tok_add(a, (int)st, (int)j, !space);
			t->tag = KG_NUM;
			tok_norm(a, t, NULL);
			i = j;
			space = 0;
			continue;
		}
		if (is_letter_cp(cp)) {
			size_t j = i + (size_t)k;
			int abbrev = 1, seglen = 1;
			for (;;) {
				if (j >= len)
					break;
				int32_t c2;
				int k2 = kgx_cp_at(s, len, j, &c2), aw;
				if (is_letter_cp(c2) || isdig(s[j])) {
					j += (size_t)k2;
					seglen++;
					if (seglen > 1)
						abbrev = 0;
					continue;
				}
				if ((s[j] == '-' || s[j] == '.') && j + 1 < len) {
					int32_t c3;
					kgx_cp_at(s, len, j + 1, &c3);
					if (is_letter_cp(c3) && (s[j] == '-' || abbrev)) {
						j += 1;
						seglen = 0;
						continue;
					}
				}
				if (is_apos(s, len, j, &aw) && j + (size_t)aw < len) {
					int32_t c3;
					kgx_cp_at(s, len, j + (size_t)aw, &c3);
					if (is_letter_cp(c3)) {
						/* a clitic ends the word here: split */
						size_t q = j + (size_t)aw, r = q;
						while (r < len && isalpha((unsigned char)s[r]))
							r++;
						int cl = 0;
						for (int c = 0; clitics[c]; c++)
							if (r - q == strlen(clitics[c]) &&
							    !strncasecmp(s + q, clitics[c], r - q))
								cl = 1;
						int nt = (r - q == 1 && (s[q] == 't' || s[q] == 'T') && j > st &&
						          (s[j - 1] == 'n' || s[j - 1] == 'N'));
						if (cl || nt)
							break;
						j = r;
						continue;
					}
				}
				break;
			}
			/* "U.S." keeps its final period */
			if (abbrev && j < len && s[j] == '.' && j > st + 1 && s[j - 2] == '.')
				j++;
			size_t e = j;
			int aw;
			/* n't: "don't" -> "do" + "n't"; "can't" -> "ca" + "n't" */
			if (j < len && is_apos(s, len, j, &aw) && j + (size_t)aw < len &&
			    (s[j + (size_t)aw] == 't' || s[j + (size_t)aw] == 'T') && j > st + 1 &&
			    (s[j - 1] == 'n' || s[j - 1] == 'N') &&
			    (j + (size_t)aw + 1 >= len || !isalpha((unsigned char)s[j + (size_t)aw + 1]))) {
				e = j - 1;
				kg_token *t = tok_add(a, (int)st, (int)e, !space);
				char low[8] = "";
				if (e - st <= 3) {
					for (size_t q = 0; q < e - st; q++)
						low[q] = (char)tolower((unsigned char)s[st + q]);
					low[e - st] = 0;
				}
				const char *ov = !strcmp(low, "ca") ? "can" : !strcmp(low, "wo") ? "will"
				               : !strcmp(low, "sha") ? "shall" : !strcmp(low, "ai") ? "is" : NULL;
				tok_norm(a, t, ov);
				t = tok_add(a, (int)e, (int)(j + (size_t)aw + 1), 1);
				tok_norm(a, t, "n't");
				i = j + (size_t)aw + 1;
				space = 0;
				continue;
			}
			/* "cannot" -> "can" + "not" */
			if (e - st == 6 && !strncasecmp(s + st, "cannot", 6)) {
				kg_token *t = tok_add(a, (int)st, (int)st + 3, !space);
				tok_norm(a, t, NULL);
				t = tok_add(a, (int)st + 3, (int)e, 1);
				tok_norm(a, t, NULL);
			} else {
				kg_token *t = tok_add(a, (int)st, (int)e, !space);
				tok_norm(a, t, NULL);
			}
			i = e;
			space = 0;
			/* clitic: 's 'm 're 've 'll 'd */
			if (i < len && is_apos(s, len, i, &aw)) {
				size_t q = i + (size_t)aw, r = q;
				while (r < len && isalpha((unsigned char)s[r]))
					r++;
				for (int c = 0; clitics[c]; c++)
					if (r - q == strlen(clitics[c]) && !strncasecmp(s + q, clitics[c], r - q)) {
						kg_token *t = tok_add(a, (int)i, (int)r, 1);
						char cl[8];
						cl[0] = '\'';
						for (size_t z = 0; z < r - q; z++)
							cl[1 + z] = (char)tolower((unsigned char)s[q + z]);
						cl[1 + r - q] = 0;
						tok_norm(a, t, cl);
						i = r;
						break;
					}
			}
			continue;
		}
		/* punctuation or symbol: one code point */
		kg_token *t = tok_add(a, (int)st, (int)(st + (size_t)k), !space);
		t->tag = KG_PUNCT;
		if (strchr("$%&+=/<>@#^*|~", s[st]) || cp == 0x20AC || cp == 0xA3 || cp == 0xA5 ||
		    cp == 0xB0)
			t->tag = KG_SYM;
		tok_norm(a, t, NULL);
		i = st + (size_t)k;
		space = 0;
	}
	for (int t = 0; t < a->ntok; t++)
		a->tok[t].norm = a->norm + (uintptr_t)a->tok[t].norm;
}

/* ---- noun phrases and entities ---- */

static kg_entity *ent_add(kg_analysis *a)
{
	if (a->nent == a->entcap) {
		a->entcap = a->entcap ? a->entcap * 2 : 16;
		a->ent = xrealloc(a->ent, (size_t)a->entcap * sizeof *a->ent);
	}
	kg_entity *e = &a->ent[a->nent++];
	memset(e, 0, sizeof *e);
	return e;
}

int kgx_lexfile(const wordnet *wn, int lemma, int pos)
{
	const uint32_t *s;
	if (lemma < 0 || wn_senses(wn, lemma, pos, &s) == 0)
		return -1;
	return wn_synset_at(wn, s[0])->lexfile;
}

int kgx_tok_type(const wordnet *wn, const kg_token *t)
{
	if (t->tag == KG_NAME)
		return KG_TYPE_NAME;
	if (t->tag == KG_NOUN)
		return kgx_lexfile(wn, t->lemma, WN_NOUN);
	return -1;
}

static int is_head(const kg_token *t)
{
	return t->tag == KG_NOUN || t->tag == KG_NAME;
}

/* Base noun phrases. */
static int chunk(kg_extractor *x, kg_analysis *a, np *out, int cap)
{
	(void)x;
	int n = 0;
	int i = 0;
	while (i < a->ntok && n < cap) {
		kg_token *t = &a->tok[i];
		int st = t->tag;
		if (!(st == KG_DET || st == KG_POSS || st == KG_NUM || st == KG_ADJ || st == KG_NOUN ||
		      st == KG_NAME || (st == KG_ADV && i + 1 < a->ntok && a->tok[i + 1].tag == KG_ADJ))) {
			i++;
			continue;
		}
		if (st == KG_POSS && !strcmp(t->norm, "'s")) {
			i++;
			continue;
		}
		int j = i, last_head = -1;
		while (j < a->ntok) {
			kg_token *u = &a->tok[j];
			int ut = u->tag;
			if (ut == KG_DET && j > i && a->tok[j - 1].tag != KG_DET && a->tok[j - 1].tag != KG_NUM)
				break;
			if (ut == KG_DET || ut == KG_NUM || ut == KG_ADJ || ut == KG_NOUN || ut == KG_NAME ||
			    (ut == KG_POSS && (j == i || !strcmp(u->norm, "'s"))) ||
			    (ut == KG_ADV && j + 1 < a->ntok && a->tok[j + 1].tag == KG_ADJ) ||
			    (ut == KG_PUNCT && !strcmp(u->norm, "-") && u->glued && j > i && j + 1 < a->ntok &&
			     a->tok[j + 1].glued && a->tok[j + 1].tag != KG_PUNCT)) {
				if (is_head(u))
					last_head = j;
				j++;
				continue;
			}
			break;
		}
		if (last_head < 0) {
			i = j > i ? j : i + 1;
			continue;
		}
		/* possessors: "the man's dog" -> "the man" is an NP too */
		for (int k = i; k < last_head; k++)
			if (a->tok[k].tag == KG_POSS && !strcmp(a->tok[k].norm, "'s") && k > i &&
			    is_head(&a->tok[k - 1]) && n < cap) {
				int h0 = k - 1;
				while (h0 > i && a->tok[h0 - 1].tag == KG_NAME && a->tok[k - 1].tag == KG_NAME)
					h0--;
				out[n++] = (np){i, k, k - 1, h0};
			}
		int h0 = last_head;
		if (a->tok[last_head].tag == KG_NAME)
			while (h0 > i && a->tok[h0 - 1].tag == KG_NAME)
				h0--;
		if (n < cap)
			out[n++] = (np){i, last_head + 1, last_head, h0};
		i = last_head + 1;
	}
	return n;
}

static int ent_cmp(const void *x, const void *y)
{
	const kg_entity *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end > b->end ? -1 : 1;
	return 0;
}

static void add_entity(kg_extractor *x, kg_analysis *a, int t0, int t1, int head)
{
	const kg_token *h = &a->tok[head];
	int type = kgx_tok_type(x->wn, h);
	if (type < 0)
		return;
	if (x->in_date[head])     /* "March" in "March 3, 2001" is a date */
		return;
	int s = a->tok[t0].start, e = a->tok[t1 - 1].end;
	/* once per span: a set of (start, end), kept at most half full */
	if (2 * ((size_t)a->nent + 1) > x->espancap) {
		size_t oc = x->espancap;
		uint64_t *old = x->espan;
		x->espancap = oc ? 2 * oc : 64;
		x->espan = xcalloc(x->espancap, sizeof *x->espan);
		for (size_t k = 0; k < oc; k++)
			if (old[k]) {
				size_t j = (size_t)rng_mix64(old[k]) & (x->espancap - 1);
				while (x->espan[j])
					j = (j + 1) & (x->espancap - 1);
				x->espan[j] = old[k];
			}
		free(old);
	}
	uint64_t key = ((uint64_t)(uint32_t)s << 32 | (uint32_t)e) + 1;
	size_t j = (size_t)rng_mix64(key) & (x->espancap - 1);
	while (x->espan[j] && x->espan[j] != key)
		j = (j + 1) & (x->espancap - 1);
	if (x->espan[j])
		return;
	x->espan[j] = key;
	kg_entity *en = ent_add(a);
	en->start = s;
	en->end = e;
	en->head = head;
	en->type = type;
	en->lemma = h->tag == KG_NOUN ? h->lemma : -1;
}

int kgx_attach_prep(const char *w)
{
	static const char *const preps[] = {
		"of", "on", "in", "with", "at", "from", "for", "under", "near", "by", "behind",
		"inside", "outside", "over", "across", "along", "without", "beside", "above",
		"below", "into", "onto", "around", "through", NULL};
	for (int i = 0; preps[i]; i++)
		if (!strcmp(preps[i], w))
			return 1;
	return 0;
}

void kg_analyze(kg_extractor *x, const char *text, size_t len, kg_analysis *a)
{
	a->text = text;
	a->len = len;
	a->nent = a->nqty = 0;
	tokenize(a);
	kgx_merge_collocations(x, a);
	kgx_tag_tokens(x, a);
	kgx_find_quantities(x, a);
	int cap = a->ntok + 1;
	np *nps = xmalloc((size_t)cap * sizeof *nps);
	int nnp = chunk(x, a, nps, cap);
	/* per-token tables for add_entity and the PP chains below */
	if (cap > x->tokscap) {
		x->tokscap = cap;
		x->in_date = xrealloc(x->in_date, (size_t)cap);
		x->np_first = xrealloc(x->np_first, (size_t)cap * sizeof *x->np_first);
	}
	memset(x->in_date, 0, (size_t)cap);
	for (int k = 0; k < a->nqty; k++)
		if (a->qty[k].date[0])
			for (int t = a->qty[k].tok0; t < a->qty[k].tok1; t++)
				x->in_date[t] = 1;
	for (int t = 0; t < cap; t++)
		x->np_first[t] = -1;
	for (int k = 0; k < nnp; k++) {    /* as np_at: the longest, the first of equals */
		int *f = &x->np_first[nps[k].t0];
		if (*f < 0 || nps[k].t1 > nps[*f].t1)
			*f = k;
	}
	if (x->espancap > 64 && x->espancap > 8 * (size_t)cap) {   /* sized by a longer record */
		free(x->espan);
		x->espan = NULL;
		x->espancap = 0;
	} else if (x->espan)
		memset(x->espan, 0, x->espancap * sizeof *x->espan);
	/* entities: NP + PP chains, base NPs, head parts, name runs */
	for (int k = 0; k < nnp; k++) {
		const np *p = &nps[k];
		/* up to two attached prepositional phrases: "a cup of tea on the table" */
		int e = p->t1;
		for (int steps = 0; steps < 2 && e + 1 < a->ntok && a->tok[e].tag == KG_PREP &&
		                    kgx_attach_prep(a->tok[e].norm); steps++) {
			int m = x->np_first[e + 1];
			if (m < 0)
				break;
			e = nps[m].t1;
			add_entity(x, a, p->t0, e, p->head);
		}
		add_entity(x, a, p->t0, p->t1, p->head);
		int mods = 0;
		for (int t = p->t0; t < p->h0; t++)
			if (a->tok[t].tag != KG_DET && a->tok[t].tag != KG_POSS)
				mods = 1;
		if (a->tok[p->head].tag == KG_NAME || (mods && p->h0 > p->t0))
			add_entity(x, a, p->h0, p->t1, p->head);
		/* names and nouns inside a name-headed or mixed NP */
		for (int t = p->t0; t < p->h0; t++)
			if (a->tok[t].tag == KG_NAME) {
				int s = t;
				while (t + 1 < p->h0 && a->tok[t + 1].tag == KG_NAME)
					t++;
				add_entity(x, a, s, t + 1, t);
			}
	}
	if (a->nent > 1)
		qsort(a->ent, (size_t)a->nent, sizeof *a->ent, ent_cmp);
	kgx_main_parts(x, a, nps, nnp);
	free(nps);
}

/* ---- output ---- */

/* s[0..n) into out (cap > 0 bytes), cut to fit; the length written. */
static size_t node_copy(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = 0;
	return n;
}

size_t kg_entity_node(const kg_analysis *a, const kg_entity *e, const wordnet *wn, char *out, size_t cap)
{
	if (!cap)
		return 0;
	const char *s;
	size_t n;
	if (e->type == KG_TYPE_NAME) {
		/* the name run that ends at the head */
		int h0 = e->head;
		while (h0 > 0 && a->tok[h0 - 1].tag == KG_NAME && a->tok[h0 - 1].start >= e->start)
			h0--;
		s = a->text + a->tok[h0].start;
		n = (size_t)(a->tok[e->head].end - a->tok[h0].start);
	} else if (e->lemma >= 0) {
		s = wn_lemma_at(wn, e->lemma)->text;
		n = strlen(s);
	} else
		return 0;
	return node_copy(out, cap, s, n);
}

size_t kg_part_node(const kg_analysis *a, const kg_part *p, const wordnet *wn, char *out, size_t cap)
{
	if (!cap || !p->present)
		return 0;
	const char *s;
	size_t n;
	if (p->lemma >= 0 && a->tok[p->head].tag != KG_NAME) {
		s = wn_lemma_at(wn, p->lemma)->text;
		n = strlen(s);
	} else if (a->tok[p->head].tag == KG_NAME) {
		int h0 = p->head;
		while (h0 > p->tok0 && a->tok[h0 - 1].tag == KG_NAME)
			h0--;
		s = a->text + a->tok[h0].start;
		n = (size_t)(a->tok[p->head].end - a->tok[h0].start);
	} else
		return 0;
	return node_copy(out, cap, s, n);
}

static jv span_text(const kg_analysis *a, int s, int e)
{
	return jv_string_sized(a->text + s, e - s);
}

static jv type_json(int type)
{
	const char *t = kg_type_name(type);
	return t ? jv_string(t) : jv_null();
}

jv kg_entities_json(const kg_extractor *x, const kg_analysis *a)
{
	jv arr = jv_array();
	for (int k = 0; k < a->nent; k++) {
		const kg_entity *e = &a->ent[k];
		jv o = jv_object();
		o = jv_object_set(o, jv_string("text"), span_text(a, e->start, e->end));
		o = jv_object_set(o, jv_string("type"), type_json(e->type));
		o = jv_object_set(o, jv_string("start"), jv_number(e->start));
		o = jv_object_set(o, jv_string("end"), jv_number(e->end));
		if (e->lemma >= 0 && e->type != KG_TYPE_NAME)
			o = jv_object_set(o, jv_string("lemma"), jv_string(wn_lemma_at(x->wn, e->lemma)->text));
		arr = jv_array_append(arr, o);
	}
	return arr;
}

jv kg_quantities_json(const kg_extractor *x, const kg_analysis *a)
{
	(void)x;
	jv arr = jv_array();
	for (int k = 0; k < a->nqty; k++) {
		const kg_quantity *q = &a->qty[k];
		jv o = jv_object();
		o = jv_object_set(o, jv_string("text"), span_text(a, q->start, q->end));
		o = jv_object_set(o, jv_string("value"), q->has_value ? jv_number(q->value) : jv_null());
		o = jv_object_set(o, jv_string("unit"), q->unit[0] ? jv_string(q->unit) : jv_null());
		o = jv_object_set(o, jv_string("start"), jv_number(q->start));
		o = jv_object_set(o, jv_string("end"), jv_number(q->end));
		if (q->date[0])
			o = jv_object_set(o, jv_string("date"), jv_string(q->date));
		arr = jv_array_append(arr, o);
	}
	return arr;
}

static jv lemma_json(const kg_extractor *x, const kg_analysis *a, const kg_part *p)
{
	char buf[256];
	return kg_part_node(a, p, x->wn, buf, sizeof buf) ? jv_string(buf) : jv_null();
}

jv kg_parts_json(const kg_extractor *x, const kg_analysis *a)
{
	const kg_parts *P = &a->parts;
	jv o = jv_object();
	o = jv_object_set(o, jv_string("theme"), P->theme >= 0 ? type_json(P->theme) : jv_null());
	if (P->subject.present) {
		const kg_part *p = &P->subject;
		jv s = jv_object();
		s = jv_object_set(s, jv_string("text"), span_text(a, p->start, p->end));
		s = jv_object_set(s, jv_string("type"), p->type >= 0 ? type_json(p->type) : jv_null());
		s = jv_object_set(s, jv_string("count"), P->has_count ? jv_number(P->count) : jv_null());
		s = jv_object_set(s, jv_string("number"), jv_string(P->plural ? "plural" : "singular"));
		s = jv_object_set(s, jv_string("lemma"), lemma_json(x, a, p));
		s = jv_object_set(s, jv_string("start"), jv_number(p->start));
		s = jv_object_set(s, jv_string("end"), jv_number(p->end));
		o = jv_object_set(o, jv_string("subject"), s);
	} else
		o = jv_object_set(o, jv_string("subject"), jv_null());
	if (P->action.present) {
		const kg_part *p = &P->action;
		jv s = jv_object();
		s = jv_object_set(s, jv_string("text"), span_text(a, p->start, p->end));
		s = jv_object_set(s, jv_string("lemma"), lemma_json(x, a, p));
		s = jv_object_set(s, jv_string("type"), p->type >= 0 ? type_json(p->type) : jv_null());
		s = jv_object_set(s, jv_string("negated"), jv_bool(P->negated));
		s = jv_object_set(s, jv_string("start"), jv_number(p->start));
		s = jv_object_set(s, jv_string("end"), jv_number(p->end));
		o = jv_object_set(o, jv_string("action"), s);
	} else
		o = jv_object_set(o, jv_string("action"), jv_null());
	if (P->state.present) {
		const kg_part *p = &P->state;
		jv s = jv_object();
		char pc[2] = {p->pos >= 0 ? wn_pos_char(p->pos) : 0, 0};
		s = jv_object_set(s, jv_string("text"), span_text(a, p->start, p->end));
		s = jv_object_set(s, jv_string("lemma"), lemma_json(x, a, p));
		s = jv_object_set(s, jv_string("pos"), pc[0] ? jv_string(pc) : jv_null());
		s = jv_object_set(s, jv_string("type"), p->type >= 0 ? type_json(p->type) : jv_null());
		s = jv_object_set(s, jv_string("start"), jv_number(p->start));
		s = jv_object_set(s, jv_string("end"), jv_number(p->end));
		o = jv_object_set(o, jv_string("state"), s);
	} else
		o = jv_object_set(o, jv_string("state"), jv_null());
	return o;
}
