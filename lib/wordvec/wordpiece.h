/* wordpiece.h — learn a WordPiece vocabulary from word counts, for a model
 * trained from scratch on a corpus that has no vocabulary of its own.
 *
 * The method of Hugging Face tokenizers' WordPieceTrainer (which trains BPE
 * with the "##" continuation prefix): every word is split into characters,
 * the first as "c" and the others as "##c"; then, repeatedly, the adjacent
 * pair of symbols that occurs most often (each word weighted by its count)
 * is merged into one new symbol ("ab" from "a" "##b", "##ab" from "##a"
 * "##b"), until the vocabulary has vocab_size tokens. Ties go to the pair
 * whose first symbol, then second symbol, comes first in byte order, so the
 * result is a pure function of the words and counts.
 *
 * Words: each input word is split by the BERT basic tokenizer
 * (tokenizer_basic_words with lowercase: punctuation apart, accents
 * stripped when lowercase), so "don't" counts as don, ', t. Words over 100
 * characters are left out, as WordPiece maps them to [UNK] anyway.
 *
 * Vocabulary, in id order: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4); every
 * character seen, in code point order, as "c" and "##c" (so that any word
 * made of seen characters has a WordPiece split); then the merged symbols
 * in the order they were learnt. The WordPiece tokenizer (greedy longest
 * match) then reads this vocabulary as it reads BERT's. */
#ifndef GCSE_WORDPIECE_H
#define GCSE_WORDPIECE_H
#include <stdint.h>
#include <stddef.h>

/* words (nwords) with counts (>= 1; NULL: all 1). Returns a malloc'ed array
 * of *ntokens malloc'ed tokens (free with vocab_free, vectors.h); the
 * vocabulary may be smaller than vocab_size when no pair is left to merge.
 * NULL with a message when out of memory or when no word has a character. */
char **wordpiece_learn(const char *const *words, const int64_t *counts, int nwords,
                       int vocab_size, int lowercase, int *ntokens, char *err, size_t errlen);
#endif
