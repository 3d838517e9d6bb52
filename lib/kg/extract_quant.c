/* extract_quant.c — quantities: numbers with their units, dates and times;
 * see extract_int.h. */
#include "kg/extract_int.h"
#include "base/cli.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A quantity being read: where its number stands and what it is. */
typedef struct qctx {
	const wordnet *wn;
	kg_analysis *a;
	int n;                 /* tokens */
	const char *cur;       /* the unit of a currency symbol before the number, or NULL */
	int numstart;          /* the token holding the number (the first of number words) */
	int digits;            /* the number is in digits, not words */
	double v;              /* its value as written */
	int e;                 /* the token after the number, then after the unit */
} qctx;

/* "Month Day[, Year]" or "Month Year" at token i: the quantity's last token,
 * or -1 when there is none. */
static int month_date(qctx *g, int i)
{
	kg_analysis *a = g->a;
	int n = g->n;
	kg_token *t = &a->tok[i];
	int mo = t->cap || t->tag == KG_NAME || t->tag == KG_NOUN ? month_of(t->norm) : 0;
	int d, y;
	if (!(mo && t->cap && i + 1 < n))
		return -1;
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
		return e - 1;
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
		return j;
	}
	return -1;
}

/* The number at token i: digits after a currency symbol or a minus sign, or
 * a run of number words with its article ("a hundred"). Sets g's cur,
 * numstart, digits, v and e, and *tok0 to the quantity's first token;
 * 0 when no number starts at i. */
static int number_at(qctx *g, int i, int *tok0)
{
	kg_analysis *a = g->a;
	int n = g->n;
	kg_token *t = &a->tok[i];
	g->cur = t->tag == KG_SYM ? currency_of(t) : NULL;
	int numstart = i;
	if (g->cur) {
		if (i + 1 < n && a->tok[i + 1].tag == KG_NUM && isdig(a->tok[i + 1].norm[0]))
			numstart = i + 1;
		else
			return 0;
	}
	kg_token *nt = &a->tok[numstart];
	if (nt->tag != KG_NUM)
		return 0;
	g->numstart = numstart;
	g->digits = isdig(nt->norm[0]);
	if (g->digits) {
		g->v = nt->num;
		g->e = numstart + 1;
		/* negative sign right before */
		if (!g->cur && numstart > 0 && nt->glued && !strcmp(a->tok[numstart - 1].norm, "-") &&
		    (numstart == 1 || !a->tok[numstart - 1].glued)) {
			g->v = -g->v;
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
				int k = kgx_numword_index(w0, strlen(w0));
				if (k >= 0 && kgx_numwords[k].scale != NW_PLAIN)
					i = s0 - 1;
			}
		}
		g->e = numword_run(a, i, &g->v);
		if (g->e <= numstart) {
			g->e = numstart + 1;
			g->v = nt->num;
		}
	}
	*tok0 = i;
	return 1;
}

/* A date in digits right after the number ("2001-03-04", "3/4/2001"):
 * 1 when q became one. */
static int digit_date(qctx *g, kg_quantity *q)
{
	const kg_analysis *a = g->a;
	int e = g->e;
	if (!(e + 3 < g->n + 0 && a->tok[e].glued && a->tok[e + 1].glued && a->tok[e + 2].glued &&
	      a->tok[e + 3].glued && (!strcmp(a->tok[e].norm, "-") || !strcmp(a->tok[e].norm, "/")) &&
	      !strcmp(a->tok[e].norm, a->tok[e + 2].norm) && a->tok[e + 1].tag == KG_NUM &&
	      a->tok[e + 3].tag == KG_NUM))
		return 0;
	int p1 = (int)g->v, p2, p3;
	if (!(int_tok(&a->tok[e + 1], 1, 31, &p2) && int_tok(&a->tok[e + 3], 1, 9999, &p3)))
		return 0;
	int yy, mm, dd;
	if (a->tok[e].norm[0] == '-')
		yy = p1, mm = p2, dd = p3;              /* 2001-03-04 */
	else
		mm = p1, dd = p2, yy = p3 < 100 ? 2000 + p3 : p3; /* 3/4/2001 */
	if (!(mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && yy >= 1000))
		return 0;
	snprintf(q->date, sizeof q->date, "%04d-%02d-%02d", yy, mm, dd);
	snprintf(q->unit, sizeof q->unit, "date");
	q->value = yy;
	q->tok1 = e + 4;
	return 1;
}

/* A time of day right after the number ("7:30", "7:30 pm"): 1 when q
 * became one. */
static int clock_time(qctx *g, kg_quantity *q)
{
	const kg_analysis *a = g->a;
	int n = g->n, e = g->e;
	double v = g->v;
	if (!(e + 1 < n && !strcmp(a->tok[e].norm, ":") && a->tok[e].glued &&
	      a->tok[e + 1].glued && a->tok[e + 1].tag == KG_NUM && strlen(a->tok[e + 1].norm) == 2 &&
	      v >= 0 && v < 24))
		return 0;
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
	return 1;
}

/* A known unit glued to digits ("5km", "3pm", "1990s", "2k"). */
static void glued_unit(qctx *g, kg_quantity *q, const kg_token *u, const char *un)
{
	double v = g->v;
	if (!strcmp(un, "k") || !strcmp(un, "bn")) {
		q->value *= un[0] == 'k' ? 1e3 : 1e9;
		g->e++;
	} else if (!strcmp(un, "time")) {
		if (u->norm[0] == 'p' && v < 12)
			q->value += 12;
		snprintf(q->unit, sizeof q->unit, "time");
		g->e++;
	} else if (!strcmp(un, "s") && v >= 1000 && v <= 2999 && fmod(v, 10) == 0 &&
	           !strcmp(u->norm, "s")) {
		snprintf(q->unit, sizeof q->unit, "decade");
		g->e++;
	} else {
		snprintf(q->unit, sizeof q->unit, "%s", un);
		g->e++;
	}
}

/* A counted noun after the number, possibly after adjectives ("two big
 * dogs"): its lemma, or a money noun's currency code, is the unit. */
static void counted_noun(qctx *g, kg_quantity *q)
{
	const wordnet *wn = g->wn;
	const kg_analysis *a = g->a;
	int n = g->n;
	int j = g->e, k = 0;
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
		g->e = j + 1;
	}
}

/* The unit after the number at g->e (q has none yet): glued, a percent, a
 * "15-day" noun, a unit word, or a counted noun. */
static void quantity_unit(qctx *g, kg_quantity *q)
{
	const wordnet *wn = g->wn;
	const kg_analysis *a = g->a;
	int n = g->n, e = g->e, digits = g->digits;
	double v = g->v;
	const kg_token *u = &a->tok[e];
	const char *un;
	if (u->glued && digits && u->tag != KG_PUNCT && u->tag != KG_SYM &&
	    (un = unit_of(u->norm))) {
		glued_unit(g, q, u, un);
	} else if (u->glued && digits && u->tag != KG_PUNCT && u->tag != KG_SYM) {
		/* "2GB"-like: keep the suffix as written */
		snprintf(q->unit, sizeof q->unit, "%.*s", u->end - u->start, a->text + u->start);
		g->e++;
	} else if (!strcmp(u->norm, "%")) {
		snprintf(q->unit, sizeof q->unit, "%%");
		g->e++;
	} else if (!strcmp(u->norm, "percent")) {
		snprintf(q->unit, sizeof q->unit, "%%");
		g->e++;
	} else if (!strcmp(u->norm, "per") && e + 1 < n && !strcmp(a->tok[e + 1].norm, "cent")) {
		snprintf(q->unit, sizeof q->unit, "%%");
		g->e += 2;
	} else if (!strcmp(u->norm, "-") && u->glued && e + 1 < n && a->tok[e + 1].glued &&
	           a->tok[e + 1].tag != KG_PUNCT && a->tok[e + 1].tag != KG_NUM) {
		/* "15-day" */
		const char *w = a->tok[e + 1].norm;
		int b[4];
		int k = wn_morphy(wn, w, strlen(w), WN_NOUN, b, 4);
		snprintf(q->unit, sizeof q->unit, "%s", k ? wn_lemma_at(wn, b[0])->text : w);
		g->e += 2;
	} else if (!u->glued && (un = unit_of(u->norm)) && strlen(u->norm) >= 2 &&
	           strcmp(un, "ordinal") && strcmp(un, "k") && strcmp(u->norm, "in") &&
	           strcmp(u->norm, "am") && strcmp(un, "x") && u->tag != KG_PREP &&
	           u->tag != KG_AUX) {
		if (!strcmp(un, "time")) {
			if (u->norm[0] == 'p' && v < 12)
				q->value += 12;
		}
		snprintf(q->unit, sizeof q->unit, "%s", un);
		g->e++;
	} else
		counted_noun(g, q);
}

/* The quantity starting at token i, if any: its last token, or i when there
 * is none. */
static int quantity_at(qctx *g, int i)
{
	kg_analysis *a = g->a;
	int last = month_date(g, i);
	if (last >= 0)
		return last;
	int tok0;
	if (!number_at(g, i, &tok0))
		return i;
	kg_quantity *q = qty_add(a);
	q->tok0 = tok0;
	q->numtok = g->numstart;
	q->words = (uint8_t)!g->digits;
	q->value = g->v;
	q->has_value = 1;
	if (g->cur)
		snprintf(q->unit, sizeof q->unit, "%s", g->cur);
	if (g->digits && (digit_date(g, q) || clock_time(g, q)))
		return q->tok1 - 1;
	/* scale words after digits: "5 million" */
	int e = g->e;
	if (g->digits && e < g->n && a->tok[e].tag == KG_NUM && !isdig(a->tok[e].norm[0])) {
		int k = kgx_numword_index(a->tok[e].norm, strlen(a->tok[e].norm));
		if (k >= 0 && kgx_numwords[k].scale == NW_SCALE) {
			q->value *= kgx_numwords[k].v;
			g->e++;
		}
	}
	if (!q->unit[0] && g->e < g->n)
		quantity_unit(g, q);
	const kg_token *nt = &a->tok[g->numstart];
	double v = g->v;
	if (!q->unit[0] && g->digits && !strchr(nt->norm, '.') && !strchr(nt->norm, ',') &&
	    v >= 1000 && v <= 2100 && strlen(nt->norm) == 4)
		snprintf(q->unit, sizeof q->unit, "year");
	q->tok1 = g->e;
	return g->e - 1;
}

void kgx_find_quantities(kg_extractor *x, kg_analysis *a)
{
	qctx g = {.wn = x->wn, .a = a, .n = a->ntok};
	a->nqty = 0;
	for (int i = 0; i < g.n; i++)
		i = quantity_at(&g, i);
	for (int k = 0; k < a->nqty; k++) {
		kg_quantity *q = &a->qty[k];
		q->start = a->tok[q->tok0].start;
		q->end = a->tok[q->tok1 - 1].end;
	}
}
