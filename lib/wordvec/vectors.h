/* vectors.h — word-vector files, a vocabulary for a fresh model, and the
 * initialisation of its token-embedding rows from the vectors.
 *
 * Files: GloVe text (`word v1 ... vd` per line) or word2vec text (a first
 * line "count dim", then the same lines); plain or gzip (zlib reads both).
 * Fields are separated by spaces or tabs; a trailing separator and CR are
 * allowed. Words keep file order, which in both formats is frequency order.
 * A malformed line is an error "FILE:LINE: ..." (wrong number of fields,
 * a bad or non-finite number); so is a word2vec file with fewer lines than
 * its header says. */
#ifndef GCSE_VECTORS_H
#define GCSE_VECTORS_H
#include <stddef.h>
#include <stdint.h>

typedef struct wordvecs {
	int n;          /* words read */
	int dim;        /* vector size */
	char **words;   /* (n) NUL-terminated, in file order */
	float *vecs;    /* (n, dim) */
	char *pool;     /* private: storage of the words */
} wordvecs;

/* Read at most max_words vectors (0: all) from path. 0 on success, -1 with
 * err ("FILE:LINE: what" or "FILE: what"); *wv is empty on failure. */
int wordvecs_read(wordvecs *wv, const char *path, int max_words, char *err,
                  size_t errlen);
void wordvecs_free(wordvecs *wv);

/* A word list, most frequent first: one word per line (more fields after
 * it ignored), or "COUNT WORD" as `uniq -c` writes it (then *counts gets
 * the counts; else 0). Blank lines are skipped; plain or gzip. *words (n
 * malloc'ed strings, free with vocab_free) and *counts (malloc'ed, may be
 * NULL) are the caller's. 0, or -1 with "FILE:LINE: what" / "FILE: what"
 * (a line over 4095 bytes, no word at all, a cut gzip stream). */
int word_list_read(const char *path, char ***words, int64_t **counts, int *n, char *err,
                   size_t errlen);

/* A word as the BERT basic tokenizer would see it: if lowercase, Python's
 * str.lower() then accents stripped (NFD, drop Mn), as uncased BERT does.
 * Returns 1 and a malloc'ed normalised copy in *out when the word stays ONE
 * basic token (no whitespace, no control character, no punctuation or CJK
 * ideograph unless the whole word is that single character, at most 100
 * characters, valid UTF-8, not empty); 0 (and *out NULL) when the tokenizer
 * would split or drop it; -1 when out of memory. */
int vocab_normalize_word(const char *word, int lowercase, char **out);

/* Vocabulary for a fresh model, in id order:
 *   [PAD] [UNK] [CLS] [SEP] [MASK]                      (ids 0..4)
 *   the first max_whole distinct normalised words that stay one basic token
 *     (vocab_normalize_word == 1), in the order given (frequency order);
 *     max_whole <= 0: all of them
 *   then, in code point order, every character c of the normalised words
 *     (all nwords of them) as "c" and as "##c", skipping tokens already present.
 * The result is a malloc'ed array of *ntokens malloc'ed strings (free with
 * vocab_free), for tokenizer_from_tokens(tokens, n, lowercase, ...).
 * NULL with err when out of memory. */
char **vocab_build(const char *const *words, int nwords, int max_whole, int lowercase,
                   int *ntokens, char *err, size_t errlen);
void vocab_free(char **tokens, int ntokens);

/* Initialise token-embedding rows from word vectors.
 * wte is (V,H), already initialised (e.g. N(0, 0.02)); tokens are the V
 * vocabulary strings. Every whole-word token (not "##...", not a bracketed
 * special like "[CLS]") whose text equals a normalised vector word
 * (vocab_normalize_word with `lowercase`; the first, most frequent, of
 * several words that normalise alike) gets row = P v:
 *   dim == H: P is the identity (the vector is copied);
 *   dim != H: P is a fixed (H,dim) Gaussian matrix, entries N(0, 1/dim)
 *     drawn from seed (rng_normal_at), which keeps each coordinate's mean
 *     square equal to the vector's mean square in expectation and preserves
 *     inner products up to a factor H/dim (Johnson-Lindenstrauss).
 * Scale: target_rms <= 0 keeps the vectors' own scale (after the
 * projection); target_rms > 0 multiplies all the set rows by one factor so
 * that the root mean square of their entries is target_rms (0.02 matches
 * BERT's init std). Rows not set keep their values. Which is better is an
 * empirical question: with the own scale (GloVe ~0.4 per coordinate) the
 * word signal dominates the 0.02 position and type embeddings before the
 * first LayerNorm; with 0.02 it starts on an equal footing with them.
 * *nset (may be NULL) receives the number of rows set. 0, or -1 with err. */
int vectors_init_embeddings(float *wte, int V, int H, const char *const *tokens,
                            const wordvecs *wv, int lowercase, uint64_t seed,
                            double target_rms, int *nset, char *err, size_t errlen);
#endif
