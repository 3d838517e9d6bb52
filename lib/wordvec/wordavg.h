/* lib/wordvec/: word vectors and the static sentence encoder built on them
 * (averages, SIF, common component); depends on base/ and nn/'s tokenizer;
 * reads files through base/ndjson, whose bad-line path ends the program.
 *
 * wordavg.h — a static sentence encoder: the (weighted) average of the word
 * vectors of a text's words; the "averaged word vectors" baseline and SIF
 * weighting (Arora, Liang and Ma 2017), with or without their common
 * component removal.
 *
 * Words of a text: tokenizer_basic_words with lowercase 1, i.e. exactly the
 * words the uncased BERT basic tokenizer hands to WordPiece (cleaned,
 * lowercased, accents stripped, split on whitespace and punctuation, CJK
 * ideographs alone), e.g. "Don't stop, Café!" -> don ' t stop , cafe !
 *
 * Vocabulary: the words of a vectors file (wordvecs_read: GloVe or word2vec
 * text, gzip or plain), each normalised with vocab_normalize_word(word, 1);
 * a file word that does not stay one basic token ("n't", "u.s.") can never
 * match and is left out; of several file words that normalise alike the
 * first (most frequent) wins. Words of a text not in the vocabulary are
 * skipped (they count for nothing, not even in the divisor).
 *
 * Vector of a text with words w_1..w_m found (repeats count each time):
 *     v = (1/m) sum_i weight(w_i) vec(w_i)
 *   plain average:   weight(w) = 1
 *   SIF (sif_a = a > 0):   weight(w) = a / (a + p(w)),
 *     p(w) = (1/r(w)) / H_N  (Zipf's law), r(w) the 1-based line rank of w in
 *     the file (file order is frequency order), N the number of words in the
 *     file, H_N = sum_{r=1..N} 1/r; a = 1e-3 (WORDAVG_SIF_A) as in the paper.
 * Sums are in double in word order, so a text's vector is the same bits
 * whatever the other texts and the thread count. A text with no word found
 * gets the zero vector (and is counted by wordavg_embed_many).
 *
 *   wordavg *w = wordavg_open("glove.txt.gz", WORDAVG_SIF_A, err, sizeof err);
 *   float *v = malloc(n * wordavg_dim(w) * sizeof *v);
 *   int nempty;
 *   wordavg_embed_many(w, texts, NULL, n, v, 0, &nempty);
 *
 * A wordavg is immutable after opening: its functions are thread-safe. */
#ifndef GCSE_WORDAVG_H
#define GCSE_WORDAVG_H
#include <stddef.h>

#define WORDAVG_SIF_A 1e-3

typedef struct wordavg wordavg;

/* Read the vectors file at path; sif_a > 0: SIF weights with that a, 0: the
 * plain average. NULL with err ("FILE:LINE: what" for a malformed line,
 * "FILE: what" otherwise, also for a negative or non-finite sif_a). */
wordavg *wordavg_open(const char *path, double sif_a, char *err, size_t errlen);
void wordavg_free(wordavg *w);

int wordavg_dim(const wordavg *w);       /* vector size */
int wordavg_nvectors(const wordavg *w);  /* N: words (lines) in the file */
int wordavg_nwords(const wordavg *w);    /* distinct usable normalised words */
double wordavg_sif_a(const wordavg *w);  /* 0: plain average */

/* Common component removal (SIF's last step): fit u, the first principal
 * direction (pca.h, uncentred) of the vectors of n texts as this wordavg
 * embeds them without removal; every later vector v (the weighted average)
 * becomes v - (v . u) u, before any normalisation. Texts with no known word
 * add nothing. Refitting replaces u. Not thread-safe: fit, then embed.
 * 0; -1 with err when no text has a known word or out of memory. */
int wordavg_fit_pc(wordavg *w, const char *const *texts, const size_t *lens, int n, char *err,
                   size_t errlen);
/* The same on the string fields of every record of an NDJSON file (path
 * "-" is stdin; gzip ok); a record lacking one of the fields is a bad line
 * ("prog: FILE:LINE: field ...", fatal unless skip_bad). Returns the number
 * of texts fitted on, or -1 with err. */
long wordavg_fit_pc_file(wordavg *w, const char *path, const char *const *fields, int nfields,
                         int skip_bad, char *err, size_t errlen);
int wordavg_has_pc(const wordavg *w);

/* The 1-based file rank of the (already normalised) word, or 0 if absent. */
int wordavg_rank(const wordavg *w, const char *word, size_t len);
/* weight(w) of the word at that rank (1 .. N); 1 for the plain average. */
double wordavg_weight(const wordavg *w, int rank);

/* Vector of one text (len bytes) into out (dim floats). Returns the number
 * of words found (0: out is zeros), -1 if out of memory. */
int wordavg_embed(const wordavg *w, const char *text, size_t len, float *out);
/* n texts (lens NULL: NUL-terminated) into out (n x dim), in parallel over
 * texts (the program's OpenMP threads). normalize: scale each non-zero
 * vector to unit length. *nempty (may be NULL): texts with no word found.
 * 0 on success, -1 if out of memory. */
int wordavg_embed_many(const wordavg *w, const char *const *texts, const size_t *lens, int n,
                       float *out, int normalize, int *nempty);
#endif
