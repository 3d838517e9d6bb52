/* wordnet.h — the WordNet 3.0 database files, parsed directly.
 *
 * Reads data.{noun,verb,adj,adv} (synsets: words, lexicographer file,
 * pointers, gloss), index.* (lemma -> senses, most frequent first), *.exc
 * (morphological exceptions) and, when present, cntlist.rev (sense tag
 * counts, used as word frequencies). The data files are kept in memory and
 * synset words and glosses point into them. Every synset's byte offset is
 * checked against its position in its data file, so a corrupt or
 * hand-edited file is reported rather than misread.
 *
 * Lemmas are keyed lowercase with spaces (WordNet's underscores become
 * spaces): "ice cream", "new york". Synsets are numbered 0..nsynsets-1,
 * nouns first, then verbs, adjectives, adverbs, each in file order.
 *
 *   char err[256];
 *   wordnet *wn = wn_load(wn_default_dir(), err, sizeof err);
 *   int base[8], n = wn_morphy(wn, "geese", 5, WN_NOUN, base, 8); // "goose"
 *   const uint32_t *s; int k = wn_senses(wn, base[0], WN_NOUN, &s);
 *   wn_lexname(wn_synset_at(wn, s[0])->lexfile);                // "noun.animal"
 */
#ifndef GCSE_WORDNET_H
#define GCSE_WORDNET_H
#include <stddef.h>
#include <stdint.h>

enum { WN_NOUN, WN_VERB, WN_ADJ, WN_ADV, WN_NPOS };

/* Pointer kinds (WordNet's symbols in brackets). */
enum wn_ptr_kind {
	WN_ANTONYM,          /* ! */
	WN_HYPERNYM,         /* @ */
	WN_INST_HYPERNYM,    /* @i */
	WN_HYPONYM,          /* ~ */
	WN_INST_HYPONYM,     /* ~i */
	WN_MEMBER_HOLONYM,   /* #m */
	WN_SUBST_HOLONYM,    /* #s */
	WN_PART_HOLONYM,     /* #p */
	WN_MEMBER_MERONYM,   /* %m */
	WN_SUBST_MERONYM,    /* %s */
	WN_PART_MERONYM,     /* %p */
	WN_ATTRIBUTE,        /* = */
	WN_DERIVED,          /* + */
	WN_DOMAIN_TOPIC,     /* ;c */
	WN_MEMBER_TOPIC,     /* -c */
	WN_DOMAIN_REGION,    /* ;r */
	WN_MEMBER_REGION,    /* -r */
	WN_DOMAIN_USAGE,     /* ;u */
	WN_MEMBER_USAGE,     /* -u */
	WN_ENTAILMENT,       /* * */
	WN_CAUSE,            /* > */
	WN_ALSO_SEE,         /* ^ */
	WN_VERB_GROUP,       /* $ */
	WN_SIMILAR,          /* & */
	WN_PARTICIPLE,       /* < */
	WN_PERTAINYM,        /* \ */
	WN_NPTRKINDS
};

/* Verb forms for wn_inflect_verb. */
enum { WN_VB, WN_VBZ, WN_VBD, WN_VBN, WN_VBG };

typedef struct wn_ptr {
	uint32_t target;     /* synset number */
	uint8_t kind;        /* enum wn_ptr_kind */
	uint8_t src, dst;    /* word numbers (1-based) of a lexical pointer; 0: the whole synset */
} wn_ptr;

typedef struct wn_word {
	const char *text;    /* as written in the synset (case kept, spaces for '_'); not NUL-terminated */
	uint16_t len;
	uint8_t lex_id;
	int32_t lemma;       /* lemma id */
} wn_word;

typedef struct wn_synset {
	uint32_t offset;     /* byte offset in its data file */
	uint8_t pos;         /* WN_NOUN..WN_ADV */
	uint8_t satellite;   /* adjective satellite (ss_type 's') */
	uint8_t lexfile;     /* 0..44, see wn_lexname */
	uint8_t nwords;
	uint16_t nptrs;
	int16_t depth;       /* see wn_depth */
	uint32_t word0;      /* first word in the word array */
	uint32_t ptr0;       /* first pointer in the pointer array */
	const char *gloss;   /* the text after "| " (definition; "examples") */
	uint32_t gloss_len;
} wn_synset;

typedef struct wn_lemma {
	const char *text;            /* lowercase, spaces; NUL-terminated */
	uint32_t len;
	uint32_t sense0[WN_NPOS];    /* first sense in the sense array, per part of speech */
	uint16_t nsense[WN_NPOS];    /* number of senses per part of speech (0: not that pos) */
	uint32_t freq[WN_NPOS];      /* summed sense tag counts (cntlist.rev), 0 if unknown */
} wn_lemma;

typedef struct wn_text { const char *s; size_t len; } wn_text;

/* A synset with a score, from wn_related; an ancestor with its distance. */
typedef struct wn_scored { uint32_t synset; double score; } wn_scored;
typedef struct wn_anc { uint32_t synset; int dist; } wn_anc;

typedef struct wordnet wordnet;

/* $WNSEARCHDIR if set, else $WNHOME/dict if WNHOME is set, else /usr/share/wordnet. */
const char *wn_default_dir(void);
/* Load a WordNet database directory; NULL with a message in err on failure. */
wordnet *wn_load(const char *dir, char *err, size_t errlen);
void wn_free(wordnet *wn);

uint32_t wn_nsynsets(const wordnet *wn);
int wn_nlemmas(const wordnet *wn);
const wn_synset *wn_synset_at(const wordnet *wn, uint32_t s);
const wn_word *wn_word_at(const wordnet *wn, uint32_t w);     /* synset words: word0..word0+nwords-1 */
const wn_ptr *wn_ptr_at(const wordnet *wn, uint32_t p);       /* synset pointers: ptr0..ptr0+nptrs-1 */
const wn_lemma *wn_lemma_at(const wordnet *wn, int lemma);
/* Synset number of a data-file offset, or -1. */
long wn_find_synset(const wordnet *wn, int pos, uint32_t offset);

/* The 45 lexicographer file names: 0 "adj.all" .. 44 "adj.ppl"; NULL out of range. */
enum { WN_NLEXFILES = 45 };
const char *wn_lexname(int lexfile);
/* Lexicographer file number of a name, or -1. */
int wn_lexfile_by_name(const char *name);
/* 'n', 'v', 'a', 'r' and back; -1 for an unknown letter ('s' reads as WN_ADJ). */
char wn_pos_char(int pos);
int wn_pos_from_char(int c);
const char *wn_ptr_symbol(int kind);

/* Lemma id of a word or collocation, case-insensitive ("_" reads as " "), or -1. */
int wn_lookup(const wordnet *wn, const char *s, size_t n);
/* The senses of a lemma as a part of speech, most frequent first; returns the count. */
int wn_senses(const wordnet *wn, int lemma, int pos, const uint32_t **out);

/* Base forms of an inflected word that WordNet knows as pos: exception-list
 * bases first, then the word itself, then the detachment rules (WordNet's
 * morphy: "-s", "-ses", "-ies", "-ed", "-ing", "-er", "-est", ...). In a
 * collocation the last word is tried, then the first ("takes off" -> "take
 * off"). Writes up to cap lemma ids; returns how many. */
int wn_morphy(const wordnet *wn, const char *s, size_t n, int pos, int *out, int cap);
/* Inflected forms of a base from the exception lists (all of them, file order);
 * returns the count, strings (spaces, NUL-terminated) in out. */
int wn_exc_forms(const wordnet *wn, int pos, const char *base, const char **out, int cap);
/* Bases of an inflected form from the exception lists. */
int wn_exc_bases(const wordnet *wn, int pos, const char *form, const char **out, int cap);
/* The plural of a noun lemma (exception list, then English spelling rules; in
 * "X of Y" the first word is inflected, otherwise the last). Returns the length
 * written to out (NUL-terminated), or -1 when cap is too small. */
int wn_plural(const wordnet *wn, const char *base, char *out, size_t cap);
/* A verb form (WN_VB, WN_VBZ, WN_VBD, WN_VBN, WN_VBG) of a verb lemma; in a
 * collocation ("take off") the first word is inflected. Returns the length or -1. */
int wn_inflect_verb(const wordnet *wn, const char *base, int form, char *out, size_t cap);

/* Depth of a synset: nouns and verbs, the number of synsets on the shortest
 * hypernym path to a root, the root included (roots are 1); adjective heads
 * 2 and satellites 3; adverbs 1. */
int wn_depth(const wordnet *wn, uint32_t s);
/* Ancestors up to maxup steps (hypernyms and instance hypernyms; for an
 * adjective satellite its head), the synset itself at distance 0, each once
 * at its shortest distance, nearest first. Returns the count (<= cap). */
int wn_ancestors(const wordnet *wn, uint32_t s, int maxup, wn_anc *out, int cap);
/* Wu-Palmer similarity through a common ancestor lcs that is da steps above
 * a and db steps above b: 2*D / (2*D + da + db), D = wn_depth(lcs) (the
 * depths of a and b taken along the paths through lcs, so it is 1 only for
 * a == b and never above 1). */
double wn_wup_through(const wordnet *wn, uint32_t lcs, int da, int db);
/* Wu-Palmer similarity over the common ancestor that maximises it; 0 when
 * there is none (or the parts of speech differ). */
double wn_wup(const wordnet *wn, uint32_t a, uint32_t b);
/* Synsets related to s: s itself, its hyponyms, and the descendants of its
 * ancestors up to maxup steps up, no deeper than s's own generation (siblings,
 * cousins); for adjectives the similar-to cluster. Each gets the Wu-Palmer
 * score through the shared ancestor (wn_wup_through); sorted by score (highest first), then
 * synset number. Returns the count (<= cap). */
int wn_related(const wordnet *wn, uint32_t s, int maxup, wn_scored *out, int cap);
/* Antonym lemmas of a lemma as pos, from its first maxsenses senses: its
 * direct (lexical) antonyms, for adjective satellites the antonyms of their
 * head, and when a sense gives none so far, the antonyms of the sense's other
 * words ("big" in {large, big} gets "small"). Returns the count of distinct
 * lemma ids written. */
int wn_antonyms(const wordnet *wn, int lemma, int pos, int maxsenses, int *out, int cap);

/* The definition part of a gloss (before the first quoted example, trailing
 * "; " trimmed). */
wn_text wn_definition(const wordnet *wn, uint32_t s);
/* The example sentences of a gloss: its double-quoted parts, without the
 * quotes. Returns the count (<= cap). */
int wn_examples(const wordnet *wn, uint32_t s, wn_text *out, int cap);
#endif
