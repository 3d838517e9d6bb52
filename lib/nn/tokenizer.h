/* tokenizer.h — the BERT WordPiece tokenizer, exactly as the reference
 * (BasicTokenizer + WordpieceTokenizer of Hugging Face's BertTokenizer).
 *
 * Per text:
 *   1. Special tokens ([CLS], [SEP], [PAD], [UNK], [MASK] and any added
 *      token) written literally in the raw text are found first (leftmost,
 *      longest, case-sensitive) and become their ids, as in transformers.
 *   2. Clean: drop U+0000, U+FFFD and control characters (Cc, Cf, except
 *      \t \n \r); whitespace (space, \t \n \r, Zs) becomes a separator, as do
 *      U+2028 and U+2029 (Python's str.split()).
 *   3. CJK ideographs (the reference's _is_chinese_char ranges) stand alone.
 *   4. Per whitespace token, if uncased: Python's str.lower() (utf8proc simple
 *      mapping, plus U+0130 -> "i\u0307" and the final-sigma rule), then
 *      strip accents (NFD, drop Mn). strip_accents follows lowercase unless
 *      set explicitly.
 *   5. Split on punctuation (ASCII 33-47, 58-64, 91-96, 123-126, Unicode P*).
 *   6. WordPiece: greedy longest match first, continuation prefix "##"; a word
 *      over 100 code points, or one that cannot be covered, is one [UNK].
 * Unicode NFC is not applied first (neither the original BERT code nor the
 * fast tokenizer do; transformers >= 4.31's slow tokenizer does, which only
 * matters for cased models fed decomposed text).
 *
 * A tokenizer is immutable after loading: every function taking a const
 * tokenizer is thread-safe. Errors are returned with a message in err. */
#ifndef GCSE_TOKENIZER_H
#define GCSE_TOKENIZER_H
#include <stddef.h>

typedef struct tokenizer tokenizer;

/* Load from a model directory. With tokenizer.json: the WordPiece model
 * (vocab, unk_token, continuing_subword_prefix, max_input_chars_per_word),
 * the BertNormalizer options (lowercase, strip_accents, clean_text,
 * handle_chinese_chars), added tokens, [CLS]/[SEP] from the post-processor;
 * tokenizer_config.json's do_lower_case / strip_accents /
 * tokenize_chinese_chars override the normalizer when present (as
 * BertTokenizerFast does). Without tokenizer.json: vocab.txt, with
 * tokenizer_config.json (do_lower_case default true, strip_accents,
 * tokenize_chinese_chars, special token names, model_max_length) and
 * special_tokens_map.json when present. NULL and a message on failure. */
tokenizer *tokenizer_load_dir(const char *dir, char *err, size_t errlen);
/* A vocab.txt (one token per line, line number = id; \n, \r\n or \r ends a
 * line), default options for lowercase (1 uncased, 0 cased). */
tokenizer *tokenizer_load_vocab(const char *vocab_path, int lowercase, char *err, size_t errlen);
/* From an in-memory token list (index = id), e.g. for a freshly trained
 * model. The list must contain [UNK], [CLS], [SEP] and [PAD]. */
tokenizer *tokenizer_from_tokens(const char *const *tokens, int n, int lowercase, char *err, size_t errlen);
/* Write the vocabulary as vocab.txt (token + "\n" per id), atomically
 * (base/fileio.h). 0 on success, -1 and a message (also when a token
 * contains a line break). */
int tokenizer_write_vocab(const tokenizer *t, const char *path, char *err, size_t errlen);
/* vocab.txt and tokenizer_config.json (do_lower_case, strip_accents when it
 * differs from it, model_max_length, tokenizer_class BertTokenizer) into
 * dir, atomically: what tokenizer_load_dir reads back. 0, or -1 with a
 * message. */
int tokenizer_save(const tokenizer *t, const char *dir, int max_length, char *err, size_t errlen);
void tokenizer_free(tokenizer *t);

int tokenizer_vocab_size(const tokenizer *t);
int tokenizer_lowercase(const tokenizer *t);       /* 1 if uncased */
int tokenizer_strip_accents(const tokenizer *t);   /* effective setting */
int tokenizer_token_id(const tokenizer *t, const char *token);  /* -1 if absent */
const char *tokenizer_token(const tokenizer *t, int id);         /* NULL if out of range */
int tokenizer_cls_id(const tokenizer *t);
int tokenizer_sep_id(const tokenizer *t);
int tokenizer_pad_id(const tokenizer *t);
int tokenizer_unk_id(const tokenizer *t);
int tokenizer_mask_id(const tokenizer *t);         /* -1 if the vocabulary has none */
/* model_max_length / truncation max_length from the directory; 0 if unknown. */
int tokenizer_model_max_length(const tokenizer *t);

/* WordPiece ids of text WITHOUT [CLS]/[SEP]; *ids is malloc'ed (caller
 * frees, also when the count is 0); returns the count, -1 if out of memory
 * (or len > INT_MAX) with *ids NULL. */
int tokenizer_tokenize(const tokenizer *t, const char *text, size_t len, int **ids);
/* [CLS] pieces [SEP]: at most max_len ids in total (max_len >= 2); returns
 * the count written to ids; *truncated (may be NULL) is set to 1 if pieces
 * were cut, else 0. Stops reading the text once max_len is reached. No heap
 * allocation unless a whitespace-separated word is very long. -1 if
 * max_len < 2 or out of memory. */
int tokenizer_encode(const tokenizer *t, const char *text, size_t len, int *ids, int max_len, int *truncated);

/* Basic (pre-WordPiece) tokens with byte offsets: fn is called once per
 * basic token, in order, with the token's text as it appears in the input
 * (original case, cleaned: dropped control characters left out), its length
 * and the byte offset of its first character in text. A basic token is what
 * WordPiece would receive (after punctuation splitting; literal special
 * tokens are one token). Returns the number of tokens, -1 if out of memory. */
typedef void (*tokenizer_word_fn)(const char *word, size_t len, size_t offset, void *ctx);
int tokenizer_words(const tokenizer *t, const char *text, size_t len, tokenizer_word_fn fn, void *ctx);

/* Basic tokenization without a vocabulary: the words BERT's BasicTokenizer
 * hands to WordPiece under the default options (clean_text,
 * tokenize_chinese_chars, strip_accents following lowercase; no special
 * tokens), NORMALISED: with lowercase, Python's str.lower() then accents
 * stripped (steps 2-5 above). fn gets each word's normalised UTF-8 text
 * (NUL-terminated, len bytes, valid only during the call) and the byte
 * offset of its first source character. A whitespace token that normalises
 * to nothing (a lone combining mark, uncased) is no word. Each word, given
 * to vocab_normalize_word (vectors.h) with the same lowercase, comes back
 * unchanged, kept as one token when at most 100 characters.
 * Thread-safe. Returns the number of words, -1 if out of memory. */
int tokenizer_basic_words(const char *text, size_t len, int lowercase, tokenizer_word_fn fn, void *ctx);
#endif
