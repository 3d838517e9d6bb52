/* extract.c — rules + WordNet knowledge extraction; see extract.h. */
#include "kg/extract.h"
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

enum { P_HUMAN = 1, P_PLURAL = 2, P_SUBJ = 4 };

typedef struct closed_word {
	const char *w;
	uint8_t tag;
	uint8_t form;          /* AUX: verb form */
	const char *base;      /* AUX: "be", "have", "do" */
	uint8_t person;        /* PRON: P_* flags */
} closed_word;

static const closed_word closed_words[] = {
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
typedef struct numword { const char *w; double v; int scale; } numword;
static const numword numwords[] = {
	{"zero", 0, 0}, {"one", 1, 0}, {"two", 2, 0}, {"three", 3, 0}, {"four", 4, 0},
	{"five", 5, 0}, {"six", 6, 0}, {"seven", 7, 0}, {"eight", 8, 0}, {"nine", 9, 0},
	{"ten", 10, 0}, {"eleven", 11, 0}, {"twelve", 12, 0}, {"thirteen", 13, 0},
	{"fourteen", 14, 0}, {"fifteen", 15, 0}, {"sixteen", 16, 0}, {"seventeen", 17, 0},
	{"eighteen", 18, 0}, {"nineteen", 19, 0}, {"twenty", 20, 0}, {"thirty", 30, 0},
	{"forty", 40, 0}, {"fifty", 50, 0}, {"sixty", 60, 0}, {"seventy", 70, 0},
	{"eighty", 80, 0}, {"ninety", 90, 0}, {"dozen", 12, 2}, {"hundred", 100, 1},
	{"thousand", 1e3, 1}, {"million", 1e6, 1}, {"billion", 1e9, 1}, {"trillion", 1e12, 1},
};

static const char *const months[12] = {
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"};
static const char *const month_abbr[12] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

/* Unit words written after a number (case-insensitive), with their canonical unit. */
static const char *const unit_abbr[][2] = {
	{"km", "km"}, {"m", "m"}, {"cm", "cm"}, {"mm", "mm"}, {"kg", "kg"}, {"g", "g"},
	{"mg", "mg"}, {"lb", "lb"}, {"lbs", "lb"}, {"oz", "oz"}, {"ft", "ft"}, {"mi", "mi"},
	{"mph", "mph"}, {"kph", "km/h"}, {"kmh", "km/h"}, {"gb", "GB"}, {"mb", "MB"},
	{"kb", "kB"}, {"tb", "TB"}, {"ghz", "GHz"}, {"mhz", "MHz"}, {"hz", "Hz"},
	{"kw", "kW"}, {"w", "W"}, {"v", "V"}, {"ml", "ml"}, {"l", "l"}, {"h", "h"},
	{"hr", "h"}, {"hrs", "h"}, {"min", "min"}, {"mins", "min"}, {"sec", "s"},
	{"secs", "s"}, {"s", "s"}, {"ms", "ms"}, {"gbps", "Gbit/s"}, {"mbps", "Mbit/s"},
	{"k", "k"}, {"bn", "bn"}, {"x", "x"}, {"c", "°C"}, {"f", "°F"}, {"mah", "mAh"},
	{"yd", "yd"}, {"in", "in"}, {"st", "ordinal"}, {"nd", "ordinal"},
	{"rd", "ordinal"}, {"th", "ordinal"}, {"am", "time"}, {"pm", "time"},
};

/* Money nouns and their unit codes. */
static const char *const money_words[][2] = {
	{"dollar", "USD"}, {"euro", "EUR"}, {"yen", "JPY"}, {"cent", "cent"},
	{"buck", "USD"}, {"rupee", "INR"}, {"yuan", "CNY"},
};

/* ---- extractor ---- */

typedef struct cand {
	int lemma[WN_NPOS];
	uint32_t freq[WN_NPOS];
	uint8_t vform;      /* verb form of the token if it is a verb */
	uint8_t plural;     /* noun form is plural */
	int closed;         /* index in closed_words, or -1 */
	int numword;        /* index in numwords, or -1 */
} cand;

struct kg_extractor {
	const wordnet *wn;
	strmap closed;
	int lem_be, lem_have, lem_do;
	cand *c;
	int ccap;
	int *closed_idx;       /* strmap id -> closed_words index */
	/* kg_analyze's scratch, so that a record is linear in its length */
	unsigned char *in_date;   /* per token: inside a date quantity */
	int *np_first;            /* per token: np_at(token), or -1 */
	int tokscap;
	uint64_t *espan;          /* entity spans seen: (start, end) + 1, 0 empty */
	size_t espancap;
};

static int find_closed(const kg_extractor *x, const char *w)
{
	return strmap_find(&x->closed, w, strlen(w));
}

kg_extractor *kg_extractor_new(const wordnet *wn)
{
	kg_extractor *x = xcalloc(1, sizeof *x);
	x->wn = wn;
	strmap_init(&x->closed);
	size_t ncw = sizeof closed_words / sizeof *closed_words;
	x->closed_idx = xmalloc(ncw * sizeof *x->closed_idx);
	for (size_t i = 0; i < ncw; i++) {
		uint32_t before = x->closed.n;
		int id = strmap_intern(&x->closed, closed_words[i].w, strlen(closed_words[i].w));
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

/* closed_words index of a strmap id: ids follow first insertion. */
static const closed_word *closed_at(const kg_extractor *x, int id)
{
	return &closed_words[x->closed_idx[id]];
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

static int numword_index(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof numwords / sizeof *numwords; i++)
		if (strlen(numwords[i].w) == n && !memcmp(numwords[i].w, w, n))
			return (int)i;
	return -1;
}

static int parse_digits(const char *s, size_t n, double *out)
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
		return parse_digits(s, n, out);
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
		int k = numword_index(w, wl);
		if (k >= 0) {
			const numword *nw = &numwords[k];
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

static size_t norm_put(kg_analysis *a, const char *s, size_t n)
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
	t->norm = (const char *)(uintptr_t)norm_put(a, buf, n);
}

static int cp_at(const char *s, size_t len, size_t i, int32_t *cp)
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

static int isdig(char c) { return c >= '0' && c <= '9'; }

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
		int k = cp_at(s, len, i, &cp);
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
				int k2 = cp_at(s, len, j, &c2), aw;
				if (is_letter_cp(c2) || isdig(s[j])) {
					j += (size_t)k2;
					seglen++;
					if (seglen > 1)
						abbrev = 0;
					continue;
				}
				if ((s[j] == '-' || s[j] == '.') && j + 1 < len) {
					int32_t c3;
					cp_at(s, len, j + 1, &c3);
					if (is_letter_cp(c3) && (s[j] == '-' || abbrev)) {
						j += 1;
						seglen = 0;
						continue;
					}
				}
				if (is_apos(s, len, j, &aw) && j + (size_t)aw < len) {
					int32_t c3;
					cp_at(s, len, j + (size_t)aw, &c3);
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

/* ---- tagging ---- */

static cand *cands(kg_extractor *x, int n)
{
	if (n > x->ccap) {
		x->ccap = n * 2;
		x->c = xrealloc(x->c, (size_t)x->ccap * sizeof *x->c);
	}
	return x->c;
}

static int is_word_tok(const kg_token *t)
{
	return t->tag != KG_PUNCT && t->tag != KG_SYM && t->tag != KG_NUM;
}

/* The verb form of a word whose base is lemma text b. */
static int verb_form_of(const char *w, const char *b)
{
	size_t n = strlen(w), bl = strlen(b);
	const char *sp = strchr(w, ' ');
	if (sp)
		n = (size_t)(sp - w);
	const char *bsp = strchr(b, ' ');
	if (bsp)
		bl = (size_t)(bsp - b);
	if (n == bl && !memcmp(w, b, n))
		return WN_VB;
	if (n > 3 && !memcmp(w + n - 3, "ing", 3))
		return WN_VBG;
	if (n > bl && w[n - 1] == 's' && (n - bl <= 3))
		return WN_VBZ;
	return WN_VBD;
}

static void lookup_open(kg_extractor *x, const char *w, cand *c)
{
	const wordnet *wn = x->wn;
	size_t n = strlen(w);
	int known = 0, tmp[8];
	for (int p = 0; p < WN_NPOS && !known; p++)
		known = wn_morphy(wn, w, n, p, tmp, 8) > 0;
	const char *h = strrchr(w, '-');
	for (int p = 0; p < WN_NPOS; p++) {
		c->lemma[p] = -1;
		c->freq[p] = 0;
		int base[8];
		int k = wn_morphy(wn, w, n, p, base, 8);
		if (!k && !known && h && h[1] && p != WN_VERB)
			k = wn_morphy(wn, h + 1, strlen(h + 1), p, base, 8);   /* "high-speed": the last part */
		if (!k)
			continue;
		int best = base[0];
		uint32_t bf = wn_lemma_at(wn, base[0])->freq[p];
		if (p == WN_ADJ || p == WN_ADV) {
			/* the word itself when WordNet has it (no comparatives) */
			for (int i = 0; i < k; i++)
				if (!strcmp(wn_lemma_at(wn, base[i])->text, w))
					best = base[i], bf = wn_lemma_at(wn, base[i])->freq[p];
		} else
			for (int i = 1; i < k; i++) {
				uint32_t f = wn_lemma_at(wn, base[i])->freq[p];
				if (f > bf)
					best = base[i], bf = f;
			}
		c->lemma[p] = best;
		c->freq[p] = bf + 1;
		const char *bt = wn_lemma_at(wn, best)->text;
		if (p == WN_VERB)
			c->vform = (uint8_t)verb_form_of(w, bt);
		if (p == WN_NOUN) {
			c->plural = strcmp(bt, w) != 0 && strlen(w) > 1 && w[strlen(w) - 1] != '\'';
			if (!strcmp(w, "people") || !strcmp(w, "police") || !strcmp(w, "cattle"))
				c->plural = 1;
		}
	}
}

static int can(const cand *c, int p)
{
	return c->lemma[p] >= 0;
}

static int sentence_initial(const kg_analysis *a, int i)
{
	for (int j = i - 1; j >= 0; j--) {
		const kg_token *t = &a->tok[j];
		if (t->tag == KG_PUNCT) {
			const char *n = t->norm;
			if (!strcmp(n, ".") || !strcmp(n, "!") || !strcmp(n, "?") || !strcmp(n, ":"))
				return 1;
			if (!strcmp(n, "\"") || !strcmp(n, "(") || !strcmp(n, "'") ||
			    !strncmp(n, "\xe2\x80\x9c", 3) || !strncmp(n, "\xe2\x80\x98", 3) ||
			    !strcmp(n, "-") || !strncmp(n, "\xe2\x80\x94", 3))
				continue;
			return 0;
		}
		return 0;
	}
	return 1;
}

static int is_upper_start(const kg_analysis *a, const kg_token *t)
{
	int32_t cp;
	cp_at(a->text, a->len, (size_t)t->start, &cp);
	if (cp < 128)
		return isupper(cp) != 0;
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU || utf8proc_category(cp) == UTF8PROC_CATEGORY_LT;
}

static const char *const particles[] = {
	"up", "down", "out", "off", "in", "on", "away", "back", "over", "around", "through",
	"about", "along", "apart", "aside", "forward", "together", NULL};

static int is_particle(const char *w)
{
	for (int i = 0; particles[i]; i++)
		if (!strcmp(particles[i], w))
			return 1;
	return 0;
}

/* Is a word more often an adjective than a noun ("cold" in "cold water")? */
static int adj_first(kg_extractor *x, const char *w)
{
	int id = wn_lookup(x->wn, w, strlen(w));
	if (id < 0)
		return 0;
	const wn_lemma *L = wn_lemma_at(x->wn, id);
	return L->nsense[WN_ADJ] && L->freq[WN_ADJ] >= L->freq[WN_NOUN];
}

/* Does token i follow a determiner or a possessive (norms are offsets + 1 here)? */
static int after_det(const kg_extractor *x, const kg_analysis *a, int i)
{
	if (i == 0)
		return 0;
	const char *pn = a->norm + (uintptr_t)a->tok[i - 1].norm - 1;
	int id = find_closed(x, pn);
	return id >= 0 && (closed_at(x, id)->tag == KG_DET || closed_at(x, id)->tag == KG_POSS);
}

/* Multi-word WordNet nouns and phrasal verbs become one token. */
static void merge_collocations(kg_extractor *x, kg_analysis *a)
{
	const wordnet *wn = x->wn;
	/* norms become offsets while merging (the buffer may move) */
	for (int t = 0; t < a->ntok; t++)
		a->tok[t].norm = (const char *)(uintptr_t)((size_t)(a->tok[t].norm - a->norm) + 1);
	char buf[512];
	/* One pass: token i (read) is written to w; a merge takes n tokens into
	 * one. Tokens from i on are still the tokenizer's, and those before w
	 * the merged ones (after_det looks at w - 1). */
	int w = 0, ntok = a->ntok;
	for (int i = 0; i < ntok; w++) {
		int took = 1;
		for (int n = 4; n >= 2; n--) {
			if (i + n > ntok)
				continue;
			size_t bl = 0;
			int ok = 1;
			for (int k = 0; k < n && ok; k++) {
				const kg_token *t = &a->tok[i + k];
				const char *nm = a->norm + (uintptr_t)t->norm - 1;
				if (!is_word_tok(t) || (k && t->glued) || nm[0] == '\'' || !strcmp(nm, "n't"))
					ok = 0;
				size_t l = strlen(nm);
				if (bl + l + 2 >= sizeof buf)
					ok = 0;
				if (!ok)
					break;
				if (k)
					buf[bl++] = ' ';
				memcpy(buf + bl, nm, l);
				bl += l;
			}
			if (!ok)
				continue;
			buf[bl] = 0;
			const char *first = a->norm + (uintptr_t)a->tok[i].norm - 1;
			const char *last = a->norm + (uintptr_t)a->tok[i + n - 1].norm - 1;
			int fc = find_closed(x, first), lc = find_closed(x, last);
			int fnum = numword_index(first, strlen(first)) >= 0;
			int base[4];
			int merged = 0;
			if (fc < 0 && lc < 0 && !fnum && wn_morphy(wn, buf, bl, WN_NOUN, base, 4) > 0 &&
			    strchr(wn_lemma_at(wn, base[0])->text, ' ') &&
			    (wn_lemma_at(wn, base[0])->freq[WN_NOUN] > 0 || !adj_first(x, first))) {
				merged = 1;
			} else if (n == 2 && fc < 0 && is_particle(last) && !after_det(x, a, w) &&
			           wn_morphy(wn, buf, bl, WN_VERB, base, 4) > 0 &&
			           strchr(wn_lemma_at(wn, base[0])->text, ' ') &&
			           wn_lemma_at(wn, base[0])->freq[WN_VERB] > 0) {
				merged = 2;
			}
			if (merged) {
				kg_token *t = &a->tok[i];
				t->end = a->tok[i + n - 1].end;
				size_t off = norm_put(a, buf, bl);
				t->norm = (const char *)(uintptr_t)(off + 1);
				t->form = merged == 2 ? 200 : 201;    /* collocation marker, cleared in tagging */
				took = n;
				break;
			}
		}
		if (w != i)
			a->tok[w] = a->tok[i];
		i += took;
	}
	a->ntok = w;
	for (int t = 0; t < a->ntok; t++)
		a->tok[t].norm = a->norm + (uintptr_t)a->tok[t].norm - 1;
}

static int prev_word(const kg_analysis *a, int i)
{
	return i > 0 ? i - 1 : -1;
}

static void tag_tokens(kg_extractor *x, kg_analysis *a)
{
	const wordnet *wn = x->wn;
	cand *C = cands(x, a->ntok + 1);
	int nword = 0, ncap = 0, ncapclosed = 0, nletters = 0, nupper = 0;
	for (int i = 0; i < a->ntok; i++) {
		kg_token *t = &a->tok[i];
		cand *c = &C[i];
		memset(c, 0, sizeof *c);
		c->closed = -1;
		c->numword = -1;
		for (int p = 0; p < WN_NPOS; p++)
			c->lemma[p] = -1;
		int colloc = t->form;
		t->form = 0;
		t->cap = (uint8_t)(is_word_tok(t) && is_upper_start(a, t));
		if (!is_word_tok(t)) {
			if (t->tag == KG_NUM)
				parse_digits(t->norm, strlen(t->norm), &t->num);
			continue;
		}
		nword++;
		ncap += t->cap;
		for (int q = t->start; q < t->end; q++) {
			unsigned char ch = (unsigned char)a->text[q];
			nletters += isalpha(ch) != 0;
			nupper += isupper(ch) != 0;
		}
		if (t->cap && i > 0 && find_closed(x, t->norm) >= 0 && strcmp(t->norm, "i"))
			ncapclosed++;
		if (colloc == 200 || colloc == 201) {
			lookup_open(x, t->norm, c);
			if (colloc == 200)
				c->lemma[WN_NOUN] = c->lemma[WN_ADJ] = c->lemma[WN_ADV] = -1;
			else
				c->lemma[WN_VERB] = c->lemma[WN_ADJ] = c->lemma[WN_ADV] = -1;
			/* every word capitalised: a name ("John Smith", "New York") */
			int allcap = 1;
			for (const char *q = a->text + t->start; q < a->text + t->end; q++)
				if ((q == a->text + t->start || q[-1] == ' ') && !isupper((unsigned char)*q))
					allcap = 0;
			if (allcap && colloc == 201)
				c->numword = -2;     /* marker: name collocation */
			continue;
		}
		int nw = numword_index(t->norm, strlen(t->norm));
		double v;
		if (nw < 0 && strchr(t->norm, '-') && kg_parse_number(t->norm, strlen(t->norm), &v))
			nw = 0;    /* "twenty-five" */
		if (nw >= 0) {
			c->numword = nw;
			kg_parse_number(t->norm, strlen(t->norm), &t->num);
			continue;
		}
		int cl = find_closed(x, t->norm);
		if (cl >= 0) {
			c->closed = cl;
			continue;
		}
		lookup_open(x, t->norm, c);
	}
	/* Title case ("The Man In The Park") or all-caps text: capitals say
	 * nothing about names. */
	int capinfo = !((nword >= 3 && ncap * 10 >= nword * 6 && ncapclosed > 0) ||
	                (nletters >= 4 && nupper == nletters));
	int verb_seen = 0;
	for (int i = 0; i < a->ntok; i++) {
		kg_token *t = &a->tok[i];
		cand *c = &C[i];
		int pi = prev_word(a, i);
		int ptag = pi >= 0 ? a->tok[pi].tag : -1;
		const kg_token *nt = i + 1 < a->ntok ? &a->tok[i + 1] : NULL;
		const cand *nc = nt ? &C[i + 1] : NULL;
		int n_closed_tag = nc && nc->closed >= 0 ? closed_at(x, nc->closed)->tag : -1;
		int n_nounish = nc && nc->closed < 0 && nc->numword < 0 &&
		                (can(nc, WN_NOUN) || can(nc, WN_ADJ) || (nt->cap && capinfo));
		if (t->tag == KG_PUNCT) {
			if (!strcmp(t->norm, ",") || !strcmp(t->norm, ";") || !strcmp(t->norm, ":"))
				verb_seen = 0;
			continue;
		}
		if (t->tag == KG_SYM || t->tag == KG_NUM)
			continue;
		if (t->glued && pi >= 0 && a->tok[pi].tag == KG_NUM) {
			t->tag = KG_OTHER;      /* a unit glued to a number: "16GB", "3rd" */
			continue;
		}
		if (c->numword == -2) {
			t->tag = KG_NAME;
			t->pos = WN_NOUN;
			t->lemma = c->lemma[WN_NOUN];
			continue;
		}
		if (c->numword >= 0) {
			t->tag = KG_NUM;
			if (!strcmp(t->norm, "one") && !n_nounish && !(nt && nt->tag == KG_NUM)) {
				t->tag = KG_PRON;
				t->person = P_SUBJ;
			}
			continue;
		}
		if (c->closed >= 0) {
			const closed_word *cw = closed_at(x, c->closed);
			t->closed = 1;
			t->tag = cw->tag;
			t->person = cw->person;
			const char *w = t->norm;
			if (cw->tag == KG_AUX) {
				t->form = cw->form;
				t->pos = WN_VERB;
				t->lemma = !strcmp(cw->base, "be") ? x->lem_be
				         : !strcmp(cw->base, "have") ? x->lem_have : x->lem_do;
				if (t->form == WN_VBD && pi >= 0 && (a->tok[pi].tag == KG_AUX))
					t->form = WN_VBN;
				verb_seen = 1;
			} else if (cw->tag == KG_MODAL) {
				verb_seen = 1;
			}
			if (!strcmp(w, "that")) {
				if (n_nounish && n_closed_tag < 0 && !(nc && can(nc, WN_VERB) && !can(nc, WN_NOUN)))
					t->tag = KG_DET;
				else if (ptag == KG_VERB || ptag == KG_NOUN || ptag == KG_NAME || ptag == KG_ADJ ||
				         ptag == KG_PUNCT || n_closed_tag == KG_DET || n_closed_tag == KG_PRON ||
				         n_closed_tag == KG_POSS || (nt && nt->cap))
					t->tag = KG_SUB;
				else
					t->tag = KG_PRON, t->person = P_SUBJ;
			} else if (!strcmp(w, "this") || !strcmp(w, "these") || !strcmp(w, "those") ||
			           !strcmp(w, "some") || !strcmp(w, "all") || !strcmp(w, "many") ||
			           !strcmp(w, "much") || !strcmp(w, "few") || !strcmp(w, "both") ||
			           !strcmp(w, "each") || !strcmp(w, "several") || !strcmp(w, "more") ||
			           !strcmp(w, "most") || !strcmp(w, "any") || !strcmp(w, "enough")) {
				if (!n_nounish && n_closed_tag != KG_DET && n_closed_tag != KG_POSS &&
				    !(nt && nt->tag == KG_NUM))
					t->tag = KG_PRON, t->person = P_SUBJ | (strcmp(w, "this") && strcmp(w, "much") &&
					                                        strcmp(w, "each") && strcmp(w, "any") &&
					                                        strcmp(w, "enough") ? P_PLURAL : 0);
			} else if (!strcmp(w, "her") || !strcmp(w, "his")) {
				if (!(n_nounish || (nt && nt->tag == KG_NUM)) || n_closed_tag >= 0)
					t->tag = KG_PRON, t->person = P_HUMAN;
			} else if (!strcmp(w, "'s")) {
				if (ptag == KG_PRON || ptag == KG_EX || ptag == KG_SUB || n_closed_tag == KG_DET ||
				    n_closed_tag == KG_NEG || n_closed_tag == KG_PREP ||
				    (nc && nc->vform == WN_VBG && can(nc, WN_VERB))) {
					t->tag = KG_AUX;
					t->form = WN_VBZ;
					t->pos = WN_VERB;
					t->lemma = x->lem_be;
					verb_seen = 1;
				}
			} else if (!strcmp(w, "'d")) {
				if (nc && nc->vform == WN_VBD && can(nc, WN_VERB) && !can(nc, WN_NOUN)) {
					t->tag = KG_AUX;
					t->form = WN_VBD;
					t->pos = WN_VERB;
					t->lemma = x->lem_have;
				}
			} else if (!strcmp(w, "to")) {
				/* "to the park": a preposition; "to run": an infinitive */
				if (n_closed_tag == KG_DET || n_closed_tag == KG_POSS ||
				    (n_closed_tag == KG_PRON && !(closed_at(x, nc->closed)->person & P_SUBJ)) ||
				    (nt && (nt->tag == KG_NUM || (nt->cap && capinfo))) ||
				    (n_nounish && n_closed_tag < 0 && !can(nc, WN_VERB)))
					t->tag = KG_PREP;
			} else if (!strcmp(w, "there")) {
				if (!(n_closed_tag == KG_AUX || n_closed_tag == KG_MODAL))
					t->tag = KG_ADV;
			} else if (!strcmp(w, "like")) {
				if ((ptag == KG_PRON && (a->tok[pi].person & P_SUBJ)) || ptag == KG_MODAL ||
				    ptag == KG_TO || ptag == KG_NEG) {
					t->tag = KG_VERB;
					t->closed = 0;
					t->pos = WN_VERB;
					t->lemma = wn_lookup(wn, "like", 4);
					t->form = WN_VB;
					verb_seen = 1;
				}
			} else if (cw->tag == KG_PREP && is_particle(w) && (ptag == KG_VERB) &&
			           (!nt || nt->tag == KG_PUNCT || n_closed_tag == KG_CONJ ||
			            n_closed_tag == KG_PREP)) {
				t->tag = KG_PRT;
			} else if (!strcmp(w, "do") || !strcmp(w, "does") || !strcmp(w, "did") ||
			           !strcmp(w, "have") || !strcmp(w, "has") || !strcmp(w, "had") ||
			           !strcmp(w, "having")) {
				/* main verb when an object follows rather than a verb */
				int aux = 0;
				for (int j = i + 1; j < a->ntok && j <= i + 3; j++) {
					const kg_token *u = &a->tok[j];
					const cand *uc = &C[j];
					if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_NEG)
						continue;
					if (uc->closed >= 0 && (closed_at(x, uc->closed)->tag == KG_ADV))
						continue;
					if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_PRON &&
					    (closed_at(x, uc->closed)->person & P_SUBJ) && w[0] == 'd')
						continue;   /* "did he go" */
					if (uc->closed < 0 && uc->numword < 0 && can(uc, WN_VERB) && !u->cap &&
					    (w[0] == 'd' ? uc->vform == WN_VB
					                 : (uc->vform == WN_VBD || uc->vform == WN_VBN)))
						aux = 1;
					if (uc->closed >= 0 && closed_at(x, uc->closed)->tag == KG_AUX &&
					    !strcmp(u->norm, "been"))
						aux = 1;
					break;
				}
				if (!aux)
					t->tag = KG_VERB;
			}
			if (t->tag == KG_NEG && pi >= 0 && a->tok[pi].tag == KG_AUX)
				verb_seen = 1;
			continue;
		}
		/* open-class word */
		int initial = sentence_initial(a, i);
		int any = 0;
		for (int p = 0; p < WN_NPOS; p++)
			any |= can(c, p);
		if (t->cap && capinfo && !initial && strcmp(t->norm, "i")) {
			t->tag = KG_NAME;
			t->pos = can(c, WN_NOUN) ? WN_NOUN : -1;
			t->lemma = c->lemma[WN_NOUN];
			continue;
		}
		if (!any) {
			if (t->cap && capinfo) {
				t->tag = KG_NAME;
				continue;
			}
			if (ptag == KG_DET || ptag == KG_ADJ || ptag == KG_POSS || ptag == KG_NUM)
				t->tag = KG_NOUN;
			else
				t->tag = KG_OTHER;
			continue;
		}
		double sc[WN_NPOS];
		static const double prior[WN_NPOS] = {0.5, 0.3, 0.4, 0.0};
		for (int p = 0; p < WN_NPOS; p++)
			sc[p] = can(c, p) ? log1p((double)c->freq[p]) + prior[p] : -1e9;
		const kg_token *pt = pi >= 0 ? &a->tok[pi] : NULL;
		int prev_aux_be = pt && pt->tag == KG_AUX && pt->lemma == x->lem_be;
		int prev_aux_have = pt && pt->tag == KG_AUX && pt->lemma == x->lem_have;
		int prev_aux_do = pt && pt->tag == KG_AUX && pt->lemma == x->lem_do;
		if (pt && pt->tag == KG_NEG && pi > 0) {
			const kg_token *pp = &a->tok[pi - 1];
			prev_aux_be = pp->tag == KG_AUX && pp->lemma == x->lem_be;
			prev_aux_have = pp->tag == KG_AUX && pp->lemma == x->lem_have;
			prev_aux_do = (pp->tag == KG_AUX && pp->lemma == x->lem_do) || pp->tag == KG_MODAL;
		}
		if (pt && pt->tag == KG_ADV && pi > 0 && a->tok[pi - 1].tag == KG_AUX) {
			const kg_token *pp = &a->tok[pi - 1];
			prev_aux_be = pp->lemma == x->lem_be;
			prev_aux_have = pp->lemma == x->lem_have;
		}
		if (ptag == KG_DET || ptag == KG_POSS || ptag == KG_ADJ || ptag == KG_NUM) {
			sc[WN_VERB] -= 5;
			sc[WN_ADV] -= 2;
			sc[WN_NOUN] += 1;
			sc[WN_ADJ] += 0.5;
		}
		if (ptag == KG_MODAL || ptag == KG_TO || prev_aux_do) {
			if (c->vform == WN_VB)
				sc[WN_VERB] += 4;
		}
		if (ptag == KG_PRON && (pt->person & P_SUBJ) && strcmp(pt->norm, "one"))
			sc[WN_VERB] += 3;
		if (prev_aux_be) {
			if (c->vform == WN_VBG || c->vform == WN_VBD)
				sc[WN_VERB] += 3;
			else
				sc[WN_ADJ] += 1.5, sc[WN_NOUN] += 0.5;
		}
		if (prev_aux_have && c->vform == WN_VBD)
			sc[WN_VERB] += 3;
		int verb_next = nc && nc->closed < 0 && nc->numword < 0 && can(nc, WN_VERB) &&
		                !can(nc, WN_NOUN) && !can(nc, WN_ADJ);
		if ((ptag == KG_NOUN || ptag == KG_NAME) && !verb_seen && can(c, WN_VERB)) {
			if (verb_next && can(c, WN_NOUN))
				sc[WN_VERB] -= 2;     /* "the rice grains cohere": the verb is next */
			else if (c->vform == WN_VBZ || c->vform == WN_VBD)
				sc[WN_VERB] += 2.5;
			else if (pt->form == 1 && c->vform == WN_VB)
				sc[WN_VERB] += 1;
		}
		if (ptag == KG_PREP) {
			if (c->vform != WN_VBG)
				sc[WN_VERB] -= 3;
			sc[WN_NOUN] += 1;
		}
		if (nt && (n_closed_tag == KG_DET || n_closed_tag == KG_POSS ||
		           (n_closed_tag == KG_PRON && !(nc && closed_at(x, nc->closed)->person & P_SUBJ)) ||
		           nt->tag == KG_NUM || (nc && nc->numword >= 0)) &&
		    ptag != KG_DET && ptag != KG_POSS) {
			sc[WN_VERB] += 1.5;
			sc[WN_NOUN] -= 0.5;
		}
		if (n_nounish && nc && n_closed_tag < 0) {
			sc[WN_ADJ] += 1;
			sc[WN_NOUN] += 0.3;
		}
		if (n_closed_tag == KG_MODAL || (n_closed_tag == KG_AUX && nc && !can(nc, WN_VERB))) {
			sc[WN_VERB] -= 3;     /* "squash can be ...": a subject, not a verb */
			sc[WN_NOUN] += 1;
		}
		if (initial && can(c, WN_VERB) && c->vform == WN_VB && nt &&
		    (n_closed_tag == KG_DET || n_closed_tag == KG_POSS || n_closed_tag == KG_PRON ||
		     n_closed_tag == KG_ADV || n_closed_tag == KG_PREP || nt->tag == KG_PUNCT))
			sc[WN_VERB] += 2;
		size_t wl = strlen(t->norm);
		if (wl > 3 && !strcmp(t->norm + wl - 2, "ly") && can(c, WN_ADV))
			sc[WN_ADV] += 2;
		if (!nt || nt->tag == KG_PUNCT) {
			if (prev_aux_be)
				sc[WN_ADJ] += 1;
		}
		if (verb_seen && !(prev_aux_be || prev_aux_have || prev_aux_do || ptag == KG_MODAL ||
		                   ptag == KG_TO || ptag == KG_NEG))
			sc[WN_VERB] -= 1;
		int best = -1;
		for (int p = 0; p < WN_NPOS; p++)
			if (can(c, p) && (best < 0 || sc[p] > sc[best]))
				best = p;
		static const uint8_t tagof[WN_NPOS] = {KG_NOUN, KG_VERB, KG_ADJ, KG_ADV};
		t->tag = tagof[best];
		t->pos = best;
		t->lemma = c->lemma[best];
		if (best == WN_VERB) {
			t->form = c->vform;
			if (t->form == WN_VBD && (prev_aux_be || prev_aux_have))
				t->form = WN_VBN;
			if (!(pt && (pt->tag == KG_DET || pt->tag == KG_ADJ)))
				verb_seen = 1;
		} else if (best == WN_NOUN)
			t->form = c->plural;
		if (t->tag == KG_NOUN && t->cap && initial && capinfo && !can(c, WN_ADJ) &&
		    c->freq[WN_NOUN] <= 1 && c->freq[WN_VERB] <= 1 && nt && nt->cap)
			t->tag = KG_NAME;
	}
	/* participles before a noun modify it ("a broken window"), not a verb */
	for (int i = 0; i + 1 < a->ntok; i++) {
		kg_token *t = &a->tok[i];
		if (t->tag == KG_VERB && (t->form == WN_VBG || t->form == WN_VBN || t->form == WN_VBD) &&
		    i > 0 && (a->tok[i - 1].tag == KG_DET || a->tok[i - 1].tag == KG_POSS ||
		              a->tok[i - 1].tag == KG_ADJ) &&
		    (a->tok[i + 1].tag == KG_NOUN || a->tok[i + 1].tag == KG_NAME)) {
			int adj = wn_lookup(wn, t->norm, strlen(t->norm));
			const uint32_t *s;
			t->tag = KG_ADJ;
			if (adj >= 0 && wn_senses(wn, adj, WN_ADJ, &s) > 0)
				t->lemma = adj, t->pos = WN_ADJ;
		}
	}
}

/* ---- quantities ---- */

static int month_of(const char *w)
{
	size_t n = strlen(w);
	if (n && w[n - 1] == '.')
		n--;
	for (int m = 0; m < 12; m++) {
		if (strlen(months[m]) == n && !strncmp(months[m], w, n))
			return m + 1;
		if (n == 3 && !strncmp(month_abbr[m], w, 3) && m != 4)
			return m + 1;
		if (m == 8 && n == 4 && !strncmp(w, "sept", 4))
			return 9;
	}
	return 0;
}

static const char *unit_of(const char *w)
{
	for (size_t i = 0; i < sizeof unit_abbr / sizeof *unit_abbr; i++)
		if (!strcmp(unit_abbr[i][0], w))
			return unit_abbr[i][1];
	return NULL;
}

static const char *currency_of(const kg_token *t)
{
	const char *n = t->norm;
	if (!strcmp(n, "$"))
		return "USD";
	if (!strcmp(n, "\xe2\x82\xac"))
		return "EUR";
	if (!strcmp(n, "\xc2\xa3"))
		return "GBP";
	if (!strcmp(n, "\xc2\xa5"))
		return "JPY";
	return NULL;
}

static kg_quantity *qty_add(kg_analysis *a)
{
	if (a->nqty == a->qtycap) {
		a->qtycap = a->qtycap ? a->qtycap * 2 : 8;
		a->qty = xrealloc(a->qty, (size_t)a->qtycap * sizeof *a->qty);
	}
	kg_quantity *q = &a->qty[a->nqty++];
	memset(q, 0, sizeof *q);
	return q;
}

static int int_tok(const kg_token *t, int lo, int hi, int *v)
{
	if (t->tag != KG_NUM || strchr(t->norm, '.') || strchr(t->norm, ','))
		return 0;
	size_t n = strlen(t->norm);
	if (!n || n > 6)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdig(t->norm[i]))
			return 0;
	int x = atoi(t->norm);
	if (x < lo || x > hi)
		return 0;
	*v = x;
	return 1;
}

static int word_num(const kg_analysis *a, int i)
{
	const kg_token *t = &a->tok[i];
	return t->tag == KG_NUM && !isdig(t->norm[0]);
}

/* A run of number words starting at i ("two hundred and ten", "a dozen"):
 * returns the end token and the value. */
static int numword_run(const kg_analysis *a, int i, double *v)
{
	char buf[256];
	size_t bl = 0;
	int j = i, end = i;
	double val = 0;
	while (j < a->ntok) {
		const kg_token *t = &a->tok[j];
		int ok = word_num(a, j) || (j == i && (!strcmp(t->norm, "a") || !strcmp(t->norm, "an"))) ||
		         (j > i && !strcmp(t->norm, "and") && j + 1 < a->ntok && word_num(a, j + 1));
		if (!ok)
			break;
		size_t l = strlen(t->norm);
		if (bl + l + 2 >= sizeof buf)
			break;
		if (bl)
			buf[bl++] = ' ';
		memcpy(buf + bl, t->norm, l);
		bl += l;
		buf[bl] = 0;
		double x;
		if (word_num(a, j) && kg_parse_number(buf, bl, &x)) {
			val = x;
			end = j + 1;
		} else if (word_num(a, j))
			break;
		j++;
	}
	*v = val;
	return end;
}

static void find_quantities(kg_extractor *x, kg_analysis *a)
{
	const wordnet *wn = x->wn;
	a->nqty = 0;
	int n = a->ntok;
	for (int i = 0; i < n; i++) {
		kg_token *t = &a->tok[i];
		int mo = t->cap || t->tag == KG_NAME || t->tag == KG_NOUN ? month_of(t->norm) : 0;
		int d, y;
		/* Month Day[, Year] | Month Year */
		if (mo && t->cap && i + 1 < n) {
			int j = i + 1;
			if (int_tok(&a->tok[j], 1, 31, &d)) {
				int e = j + 1;
				if (e < n && a->tok[e].glued && unit_of(a->tok[e].norm) &&
				    !strcmp(unit_of(a->tok[e].norm), "ordinal"))
					e++;
				kg_quantity *q = qty_add(a);
				q->tok0 = i;
				q->numtok = j;
				int yv;
				if (e + 1 < n && !strcmp(a->tok[e].norm, ",") && int_tok(&a->tok[e + 1], 1000, 2999, &yv)) {
					snprintf(q->date, sizeof q->date, "%04d-%02d-%02d", yv, mo, d);
					q->value = yv;
					e += 2;
				} else if (e < n && int_tok(&a->tok[e], 1000, 2999, &yv)) {
					snprintf(q->date, sizeof q->date, "%04d-%02d-%02d", yv, mo, d);
					q->value = yv;
					e += 1;
				} else {
					snprintf(q->date, sizeof q->date, "--%02d-%02d", mo, d);
					q->value = d;
				}
				q->has_value = 1;
				snprintf(q->unit, sizeof q->unit, "date");
				q->tok1 = e;
				i = e - 1;
				continue;
			}
			if (int_tok(&a->tok[j], 1000, 2999, &y)) {
				kg_quantity *q = qty_add(a);
				q->tok0 = i;
				q->numtok = j;
				q->tok1 = j + 1;
				snprintf(q->date, sizeof q->date, "%04d-%02d", y, mo);
				q->value = y;
				q->has_value = 1;
				snprintf(q->unit, sizeof q->unit, "date");
				i = j;
				continue;
			}
		}
		const char *cur = t->tag == KG_SYM ? currency_of(t) : NULL;
		int numstart = i;
		if (cur) {
			if (i + 1 < n && a->tok[i + 1].tag == KG_NUM && isdig(a->tok[i + 1].norm[0]))
				numstart = i + 1;
			else
				continue;
		}
		kg_token *nt = &a->tok[numstart];
		if (nt->tag != KG_NUM)
			continue;
		int digits = isdig(nt->norm[0]);
		double v;
		int e;   /* end of the number */
		if (digits) {
			v = nt->num;
			e = numstart + 1;
			/* negative sign right before */
			if (!cur && numstart > 0 && nt->glued && !strcmp(a->tok[numstart - 1].norm, "-") &&
			    (numstart == 1 || !a->tok[numstart - 1].glued)) {
				v = -v;
				i = numstart - 1;
			}
		} else {
			/* "a hundred": include the article */
			int s0 = numstart;
			if (s0 > 0 && (!strcmp(a->tok[s0 - 1].norm, "a") || !strcmp(a->tok[s0 - 1].norm, "an"))) {
				double vv;
				int ee = numword_run(a, s0 - 1, &vv);
				if (ee > s0) {
					const char *w0 = a->tok[s0].norm;
					int k = numword_index(w0, strlen(w0));
					if (k >= 0 && numwords[k].scale)
						i = s0 - 1;
				}
			}
			e = numword_run(a, i, &v);
			if (e <= numstart) {
				e = numstart + 1;
				v = nt->num;
			}
		}
		kg_quantity *q = qty_add(a);
		q->tok0 = i;
		q->numtok = numstart;
		q->words = (uint8_t)!digits;
		q->value = v;
		q->has_value = 1;
		if (cur)
			snprintf(q->unit, sizeof q->unit, "%s", cur);
		/* dates and times in digits */
		if (digits && e + 3 < n + 0 && a->tok[e].glued && a->tok[e + 1].glued && a->tok[e + 2].glued &&
		    a->tok[e + 3].glued && (!strcmp(a->tok[e].norm, "-") || !strcmp(a->tok[e].norm, "/")) &&
		    !strcmp(a->tok[e].norm, a->tok[e + 2].norm) && a->tok[e + 1].tag == KG_NUM &&
		    a->tok[e + 3].tag == KG_NUM) {
			int p1 = (int)v, p2, p3;
			if (int_tok(&a->tok[e + 1], 1, 31, &p2) && int_tok(&a->tok[e + 3], 1, 9999, &p3)) {
				int yy, mm, dd;
				if (a->tok[e].norm[0] == '-')
					yy = p1, mm = p2, dd = p3;              /* 2001-03-04 */
				else
					mm = p1, dd = p2, yy = p3 < 100 ? 2000 + p3 : p3; /* 3/4/2001 */
				if (mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && yy >= 1000) {
					snprintf(q->date, sizeof q->date, "%04d-%02d-%02d", yy, mm, dd);
					snprintf(q->unit, sizeof q->unit, "date");
					q->value = yy;
					q->tok1 = e + 4;
					i = e + 3;
					continue;
				}
			}
		}
		if (digits && e + 1 < n && !strcmp(a->tok[e].norm, ":") && a->tok[e].glued &&
		    a->tok[e + 1].glued && a->tok[e + 1].tag == KG_NUM && strlen(a->tok[e + 1].norm) == 2 &&
		    v >= 0 && v < 24) {
			int mins = atoi(a->tok[e + 1].norm);
			q->value = v + mins / 60.0;
			snprintf(q->unit, sizeof q->unit, "time");
			e += 2;
			if (e < n && (!strcmp(a->tok[e].norm, "pm") || !strcmp(a->tok[e].norm, "p.m."))) {
				if (v < 12)
					q->value += 12;
				e++;
			} else if (e < n && (!strcmp(a->tok[e].norm, "am") || !strcmp(a->tok[e].norm, "a.m.")))
				e++;
			q->tok1 = e;
			i = e - 1;
			continue;
		}
		/* scale words after digits: "5 million" */
		if (digits && e < n && a->tok[e].tag == KG_NUM && !isdig(a->tok[e].norm[0])) {
			int k = numword_index(a->tok[e].norm, strlen(a->tok[e].norm));
			if (k >= 0 && numwords[k].scale == 1) {
				q->value *= numwords[k].v;
				e++;
			}
		}
		/* the unit */
		if (!q->unit[0] && e < n) {
			kg_token *u = &a->tok[e];
			const char *un;
			if (u->glued && digits && u->tag != KG_PUNCT && u->tag != KG_SYM &&
			    (un = unit_of(u->norm))) {
				if (!strcmp(un, "k") || !strcmp(un, "bn")) {
					q->value *= un[0] == 'k' ? 1e3 : 1e9;
					e++;
				} else if (!strcmp(un, "time")) {
					if (u->norm[0] == 'p' && v < 12)
						q->value += 12;
					snprintf(q->unit, sizeof q->unit, "time");
					e++;
				} else if (!strcmp(un, "s") && v >= 1000 && v <= 2999 && fmod(v, 10) == 0 &&
				           !strcmp(u->norm, "s")) {
					snprintf(q->unit, sizeof q->unit, "decade");
					e++;
				} else {
					snprintf(q->unit, sizeof q->unit, "%s", un);
					e++;
				}
			} else if (u->glued && digits && u->tag != KG_PUNCT && u->tag != KG_SYM) {
				/* "2GB"-like: keep the suffix as written */
				snprintf(q->unit, sizeof q->unit, "%.*s", u->end - u->start, a->text + u->start);
				e++;
			} else if (!strcmp(u->norm, "%")) {
				snprintf(q->unit, sizeof q->unit, "%%");
				e++;
			} else if (!strcmp(u->norm, "percent")) {
				snprintf(q->unit, sizeof q->unit, "%%");
				e++;
			} else if (!strcmp(u->norm, "per") && e + 1 < n && !strcmp(a->tok[e + 1].norm, "cent")) {
				snprintf(q->unit, sizeof q->unit, "%%");
				e += 2;
			} else if (!strcmp(u->norm, "-") && u->glued && e + 1 < n && a->tok[e + 1].glued &&
			           a->tok[e + 1].tag != KG_PUNCT && a->tok[e + 1].tag != KG_NUM) {
				/* "15-day" */
				const char *w = a->tok[e + 1].norm;
				int b[4];
				int k = wn_morphy(wn, w, strlen(w), WN_NOUN, b, 4);
				snprintf(q->unit, sizeof q->unit, "%s", k ? wn_lemma_at(wn, b[0])->text : w);
				e += 2;
			} else if (!u->glued && (un = unit_of(u->norm)) && strlen(u->norm) >= 2 &&
			           strcmp(un, "ordinal") && strcmp(un, "k") && strcmp(u->norm, "in") &&
			           strcmp(u->norm, "am") && strcmp(un, "x") && u->tag != KG_PREP &&
			           u->tag != KG_AUX) {
				if (!strcmp(un, "time")) {
					if (u->norm[0] == 'p' && v < 12)
						q->value += 12;
				}
				snprintf(q->unit, sizeof q->unit, "%s", un);
				e++;
			} else {
				/* a counted noun, possibly after adjectives: "two big dogs" */
				int j = e, k = 0;
				while (j < n && k < 2 && a->tok[j].tag == KG_ADJ)
					j++, k++;
				if (j < n && (a->tok[j].tag == KG_NOUN || (a->tok[j].tag == KG_NAME && a->tok[j].lemma >= 0)) &&
				    a->tok[j].lemma >= 0) {
					const char *lt = wn_lemma_at(wn, a->tok[j].lemma)->text;
					const char *code = NULL;
					for (size_t m = 0; m < sizeof money_words / sizeof *money_words; m++)
						if (!strcmp(money_words[m][0], lt))
							code = money_words[m][1];
					snprintf(q->unit, sizeof q->unit, "%s", code ? code : lt);
					e = j + 1;
				}
			}
		}
		if (!q->unit[0] && digits && !strchr(nt->norm, '.') && !strchr(nt->norm, ',') &&
		    v >= 1000 && v <= 2100 && strlen(nt->norm) == 4)
			snprintf(q->unit, sizeof q->unit, "year");
		q->tok1 = e;
		i = e - 1;
	}
	for (int k = 0; k < a->nqty; k++) {
		kg_quantity *q = &a->qty[k];
		q->start = a->tok[q->tok0].start;
		q->end = a->tok[q->tok1 - 1].end;
	}
}

/* ---- noun phrases and entities ---- */

typedef struct np { int t0, t1, head, h0; } np;   /* tokens [t0, t1), head token, head part start */

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

static int noun_type(const wordnet *wn, int lemma)
{
	const uint32_t *s;
	if (lemma < 0 || wn_senses(wn, lemma, WN_NOUN, &s) == 0)
		return -1;
	return wn_synset_at(wn, s[0])->lexfile;
}

static int tok_type(const wordnet *wn, const kg_token *t)
{
	if (t->tag == KG_NAME)
		return KG_TYPE_NAME;
	if (t->tag == KG_NOUN)
		return noun_type(wn, t->lemma);
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
	int type = tok_type(x->wn, h);
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

static int attach_prep(const char *w)
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

/* ---- main parts ---- */

static void set_part(kg_analysis *a, kg_part *p, int t0, int t1, int head, int lemma, int pos, int type)
{
	p->present = 1;
	p->tok0 = t0;
	p->tok1 = t1;
	p->start = a->tok[t0].start;
	p->end = a->tok[t1 - 1].end;
	p->head = head;
	p->lemma = lemma;
	p->pos = pos;
	p->type = type;
}

static int np_at(const np *nps, int nnp, int tok)
{
	int best = -1;
	for (int k = 0; k < nnp; k++)
		if (nps[k].t0 == tok && (best < 0 || nps[k].t1 > nps[best].t1))
			best = k;
	return best;
}

static int np_ending_before(const np *nps, int nnp, int from, int tok)
{
	int best = -1;
	for (int k = 0; k < nnp; k++)
		if (nps[k].t0 >= from && nps[k].t1 <= tok &&
		    (best < 0 || nps[k].t0 < nps[best].t0 ||
		     (nps[k].t0 == nps[best].t0 && nps[k].t1 > nps[best].t1)))
			best = k;
	return best;
}

static int verb_type(const wordnet *wn, int lemma)
{
	const uint32_t *s;
	if (lemma < 0 || wn_senses(wn, lemma, WN_VERB, &s) == 0)
		return -1;
	return wn_synset_at(wn, s[0])->lexfile;
}

static int adj_type(const wordnet *wn, int lemma, int pos)
{
	const uint32_t *s;
	if (lemma < 0 || wn_senses(wn, lemma, pos, &s) == 0)
		return -1;
	return wn_synset_at(wn, s[0])->lexfile;
}

static void subject_count(kg_analysis *a, const np *sp, kg_parts *P)
{
	P->has_count = 0;
	P->count_qty = -1;
	const kg_token *h = &a->tok[sp->head];
	P->plural = h->tag == KG_NOUN && h->form == 1;
	for (int k = 0; k < a->nqty; k++) {
		const kg_quantity *q = &a->qty[k];
		if (q->numtok >= sp->t0 && q->numtok < sp->head && q->has_value && !q->date[0] &&
		    strcmp(q->unit, "time") && strcmp(q->unit, "year")) {
			P->has_count = 1;
			P->count = q->value;
			P->count_qty = k;
			return;
		}
	}
	const char *d = a->tok[sp->t0].norm;
	if (a->tok[sp->t0].tag == KG_DET) {
		if (!strcmp(d, "a") || !strcmp(d, "an") || !strcmp(d, "one"))
			P->has_count = 1, P->count = 1;
		else if (!strcmp(d, "both"))
			P->has_count = 1, P->count = 2;
		else if (!strcmp(d, "no"))
			P->has_count = 1, P->count = 0;
		else if (!P->plural && (!strcmp(d, "the") || !strcmp(d, "this") || !strcmp(d, "that") ||
		                        !strcmp(d, "every") || !strcmp(d, "each") || !strcmp(d, "another")))
			P->has_count = 1, P->count = 1;
	} else if (a->tok[sp->t0].tag == KG_POSS && !P->plural)
		P->has_count = 1, P->count = 1;
	else if (!P->plural && h->tag == KG_NAME)
		P->has_count = 1, P->count = 1;
}

static int has_comma(const kg_analysis *a, int from)
{
	for (int j = from; j < a->ntok; j++)
		if (!strcmp(a->tok[j].norm, ","))
			return 1;
	return 0;
}

static void main_parts(kg_extractor *x, kg_analysis *a, const np *nps, int nnp)
{
	const wordnet *wn = x->wn;
	kg_parts *P = &a->parts;
	memset(P, 0, sizeof *P);
	P->theme = -1;
	P->count_qty = -1;
	P->vg0 = P->vg1 = -1;
	int n = a->ntok;
	/* clause start: skip a leading subordinate clause up to its comma, or a fronted PP */
	int cs = 0;
	while (cs < n && a->tok[cs].tag == KG_PUNCT)
		cs++;
	if (cs < n && (a->tok[cs].tag == KG_SUB || (a->tok[cs].tag == KG_PREP &&
	               (!strcmp(a->tok[cs].norm, "after") || !strcmp(a->tok[cs].norm, "before") ||
	                !strcmp(a->tok[cs].norm, "since") || !strcmp(a->tok[cs].norm, "as")))) &&
	    strcmp(a->tok[cs].norm, "what") && strcmp(a->tok[cs].norm, "how") && strcmp(a->tok[cs].norm, "why") &&
	    has_comma(a, cs)) {
		for (int j = cs + 1; j < n; j++)
			if (!strcmp(a->tok[j].norm, ",")) {
				cs = j + 1;
				break;
			}
	} else if (cs < n && a->tok[cs].tag == KG_PREP) {
		int k = np_at(nps, nnp, cs + 1);
		if (k >= 0) {
			int e = nps[k].t1;
			if (e < n && !strcmp(a->tok[e].norm, ","))
				e++;
			if (e < n)
				cs = e;
		}
	}
	/* the verb group */
	int v0 = -1, weak = -1;
	for (int j = cs; j < n; j++) {
		int tg = a->tok[j].tag;
		/* "to tape", a gerund subject ("averting her gaze meant ..."): only
		 * when no finite verb group follows */
		if (tg == KG_VERB && ((j > 0 && a->tok[j - 1].tag == KG_TO) ||
		                      (a->tok[j].form == WN_VBG && (j == cs || a->tok[j - 1].tag == KG_PUNCT)))) {
			if (weak < 0)
				weak = j;
			continue;
		}
		if (tg == KG_AUX || tg == KG_MODAL || tg == KG_VERB) {
			v0 = j;
			break;
		}
		if (tg == KG_NEG && j + 1 < n && (a->tok[j + 1].tag == KG_VERB)) {
			v0 = j;
			break;
		}
	}
	if (v0 < 0)
		v0 = weak;
	/* an adverb right before the group belongs to it ("she quickly ran") */
	while (v0 > cs && a->tok[v0 - 1].tag == KG_ADV && a->tok[v0].tag == KG_VERB)
		v0--;
	int mainv = -1, v1 = -1;
	if (v0 >= 0) {
		int j = v0;
		int last_aux = -1;
		while (j < n) {
			int tg = a->tok[j].tag;
			if (tg == KG_AUX || tg == KG_MODAL) {
				last_aux = j;
				j++;
			} else if (tg == KG_NEG) {
				P->negated = 1;
				j++;
			} else if (tg == KG_ADV && j + 1 < n &&
			           (a->tok[j + 1].tag == KG_VERB || a->tok[j + 1].tag == KG_AUX ||
			            a->tok[j + 1].tag == KG_NEG)) {
				j++;
			} else if (tg == KG_VERB) {
				mainv = j;
				j++;
				if (j < n && a->tok[j].tag == KG_PRT)
					j++;
				break;
			} else if (tg == KG_PRON && (a->tok[j].person & P_SUBJ) && last_aux == j - 1 && j + 1 < n &&
			           a->tok[j + 1].tag == KG_VERB) {
				j++;     /* question: "did he go" */
			} else
				break;
		}
		if (mainv < 0)
			mainv = last_aux;
		v1 = j;
		if (mainv < 0) {
			v0 = -1;
		}
	}
	if (v0 >= 0) {
		P->vg0 = v0;
		P->vg1 = v1;
		const kg_token *mv = &a->tok[mainv];
		int lemma = mv->lemma;
		set_part(a, &P->action, v0, v1, mainv, lemma, lemma >= 0 ? WN_VERB : -1, verb_type(wn, lemma));
		if (mv->tag == KG_MODAL) {
			P->action.lemma = -1;
			P->action.pos = -1;
		}
	}
	/* subject */
	int subj_np = -1;
	if (v0 >= 0) {
		if (v0 > cs && a->tok[v0 - 1].tag == KG_EX) {
			P->existential = 1;
			subj_np = np_at(nps, nnp, v1);
		} else {
			int k = np_ending_before(nps, nnp, cs, v0);
			if (k >= 0) {
				/* prefer the NP right before the verb group when an NP + PP chain leads to it */
				subj_np = k;
			}
			/* a pronoun right before the verb */
			if (v0 > cs && a->tok[v0 - 1].tag == KG_PRON &&
			    (subj_np < 0 || nps[subj_np].t1 < v0 - 1)) {
				const kg_token *pr = &a->tok[v0 - 1];
				set_part(a, &P->subject, v0 - 1, v0, v0 - 1, -1, -1,
				         pr->person & P_HUMAN ? wn_lexfile_by_name("noun.person") : KG_TYPE_PRONOUN);
				P->plural = (pr->person & P_PLURAL) != 0;
				P->has_count = !P->plural;
				P->count = 1;
				subj_np = -2;
			}
		}
	} else if (nnp > 0) {
		subj_np = np_ending_before(nps, nnp, cs, n + 1);
	}
	if (subj_np >= 0) {
		const np *sp = &nps[subj_np];
		int e = sp->t1;
		/* attach one PP ("a man on skis") when it still ends before the verb */
		if (e + 1 < n && a->tok[e].tag == KG_PREP && attach_prep(a->tok[e].norm) && !P->existential) {
			int k = np_at(nps, nnp, e + 1);
			if (k >= 0 && (v0 < 0 || nps[k].t1 <= v0 || P->existential))
				e = nps[k].t1;
		}
		const kg_token *h = &a->tok[sp->head];
		int type = tok_type(wn, h);
		set_part(a, &P->subject, sp->t0, e, sp->head, h->tag == KG_NOUN ? h->lemma : (h->lemma >= 0 ? h->lemma : -1),
		         h->lemma >= 0 ? WN_NOUN : -1, type);
		subject_count(a, sp, P);
		/* "a dog and a cat": a plural subject without a count */
		if (e + 1 < n && !strcmp(a->tok[e].norm, "and") && (v0 < 0 || e + 1 < v0)) {
			int k = np_at(nps, nnp, e + 1);
			if (k >= 0 && (v0 < 0 || nps[k].t1 <= v0)) {
				P->subject.tok1 = nps[k].t1;
				P->subject.end = a->tok[nps[k].t1 - 1].end;
				P->coordinated = 1;
				P->plural = 1;
				P->has_count = 0;
				P->count_qty = -1;
			}
		}
	}
	/* state */
	if (v0 >= 0) {
		int j = v1;
		if (P->existential && subj_np >= 0)
			j = P->subject.tok1;
		while (j < n && (a->tok[j].tag == KG_ADV || a->tok[j].tag == KG_NEG) &&
		       !(j + 1 < n && a->tok[j + 1].tag == KG_ADJ))
			j++;
		if (j < n) {
			const kg_token *u = &a->tok[j];
			if (u->tag == KG_ADJ || (u->tag == KG_ADV && j + 1 < n && a->tok[j + 1].tag == KG_ADJ)) {
				int h = u->tag == KG_ADJ ? j : j + 1;
				int e = h + 1;
				if (e < n && a->tok[e].tag == KG_NOUN) {
					/* an adjective inside an object NP */
					int k = np_at(nps, nnp, j);
					if (k >= 0)
						goto state_np;
				}
				set_part(a, &P->state, j, e, h, a->tok[h].lemma, a->tok[h].pos,
				         adj_type(wn, a->tok[h].lemma, a->tok[h].pos));
			} else if (u->tag == KG_PREP && j + 1 < n) {
				int k = np_at(nps, nnp, j + 1);
				if (k >= 0) {
					const kg_token *h = &a->tok[nps[k].head];
					set_part(a, &P->state, j, nps[k].t1, nps[k].head, h->lemma,
					         h->lemma >= 0 ? WN_NOUN : -1, tok_type(wn, h));
				}
			} else {
			state_np:;
				int k = np_at(nps, nnp, j);
				if (k >= 0) {
					const kg_token *h = &a->tok[nps[k].head];
					set_part(a, &P->state, j, nps[k].t1, nps[k].head, h->lemma,
					         h->lemma >= 0 ? WN_NOUN : -1, tok_type(wn, h));
				}
			}
		}
	}
	/* theme */
	if (P->action.present && P->action.lemma >= 0 && P->action.lemma != x->lem_be &&
	    P->action.lemma != x->lem_have && P->action.lemma != x->lem_do)
		P->theme = P->action.type;
	else if (P->subject.present && P->subject.type >= 0 && P->subject.type < 45)
		P->theme = P->subject.type;
	else if (P->state.present && P->state.type >= 0 && P->state.type < 45)
		P->theme = P->state.type;
	else if (P->action.present)
		P->theme = P->action.type;
}

void kg_analyze(kg_extractor *x, const char *text, size_t len, kg_analysis *a)
{
	a->text = text;
	a->len = len;
	a->nent = a->nqty = 0;
	tokenize(a);
	merge_collocations(x, a);
	tag_tokens(x, a);
	find_quantities(x, a);
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
		                    attach_prep(a->tok[e].norm); steps++) {
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
	main_parts(x, a, nps, nnp);
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
