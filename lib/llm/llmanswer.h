/* llmanswer.h — an LLM's answer is untrusted text: find the JSON object in it
 * and check it before anything uses it.
 *
 * Models wrap their JSON in prose ("Sure! Here is ..."), in ``` code fences,
 * after reasoning blocks (<think>...</think>), or cut it off at the token
 * limit. llm_extract removes reasoning blocks, then tries every balanced
 * {...} span in order (string-aware, so braces inside strings are fine) and
 * returns the first that parses as a JSON object, has the expected shape
 * and passes the format's content check.
 *
 * Formats (llm_format): what an answer must be. A shape written as JSON
 * (below) is both what the checker accepts and, turned into a JSON Schema by
 * llm_shape_schema, what the server is asked for (response_format
 * json_schema): the two come from one definition and cannot drift. A
 * content check (llm_check_fn) then looks at what the shape cannot say: that
 * an extraction's spans are in the sentence, that a rewrite is not a copy.
 *
 * Shapes: a JSON value describing the expected value.
 *   "string" "nonempty" (a string with a non-blank character) "number"
 *   "integer" "count" (an integer 0..1000000000) "boolean" "null" "object"
 *   "array" "any"
 *   "a|b"       either type            "T?"    may also be null or absent
 *   [S]         array, every element matches S ([] any array)
 *   {"k": S}    object with key k matching S; "k?" as a key: k may be absent
 *               or null; keys not in the shape are allowed and ignored.
 * e.g. {"text":"nonempty"} or
 *      {"entities":[{"text":"nonempty","type":"string"}],"parts?":{"theme":"string?"}}
 * The schema is stricter than the checker where the protocol needs it: every
 * key is required ("k?" and "T?" as nullable), no other key is allowed
 * (what OpenAI's strict mode demands), "nonempty" is minLength 1 (a blank
 * string passes the schema and is caught by the checker). */
#ifndef GCSE_LLMANSWER_H
#define GCSE_LLMANSWER_H
#include <jv.h>
#include <stddef.h>

/* Why an answer was not used: counted per reason in the client's summary. */
enum llm_reason {
	LLM_R_OK = 0,
	LLM_R_EMPTY,        /* empty answer */
	LLM_R_NOJSON,       /* no JSON object in it */
	LLM_R_BADJSON,      /* an object that is not valid JSON */
	LLM_R_CUT,          /* a JSON object that never closes */
	LLM_R_TOOLONG,      /* longer than an answer may be */
	LLM_R_SHAPE,        /* wrong shape (missing field, wrong type, blank) */
	LLM_R_SPANS,        /* extraction: spans mostly not in the sentence */
	LLM_R_COPY,         /* candidate: the sentence itself */
	LLM_R_LENGTH,       /* candidate: far longer or shorter than the sentence */
	LLM_R_UNRELATED,    /* candidate: shares (almost) no word with the sentence */
	LLM_R_ENCODING,     /* a NUL character, or not valid UTF-8 */
	LLM_R_N
};
/* "not JSON", "cut off", ... (for summaries). */
const char *llm_reason_name(int reason);

/* A content check after the shape (answer borrowed, not freed): LLM_R_OK, or
 * a reason and a message in err. ctx: the format user's (e.g. the sentence). */
typedef int (*llm_check_fn)(jv answer, void *ctx, char *err, size_t errlen);

typedef struct llm_format {
	char name[64];        /* the schema's name: letters, digits, '_' and '-' */
	jv shape;             /* the checker's shape (owned) */
	jv schema;            /* llm_shape_schema(shape) (owned): response_format's */
	llm_check_fn check;   /* NULL: the shape alone */
} llm_format;

/* The shapes of the shipped prompts' answers. */
#define LLM_SHAPE_TEXT "{\"text\":\"nonempty\"}"
#define LLM_SHAPE_KGEXTRACT \
	"{\"entities\":[{\"text\":\"nonempty\",\"type\":\"nonempty\"}]," \
	"\"quantities\":[{\"text\":\"nonempty\",\"value\":\"number?\",\"unit\":\"string?\"}]," \
	"\"parts\":{\"theme\":\"string?\",\"subject?\":{\"text\":\"string?\",\"type\":\"nonempty?\"," \
	"\"count\":\"count?\"},\"action\":\"string?\",\"state\":\"string?\"}}"

/* Parse shape (JSON text) into f and make its schema. 0, or -1 and err (the
 * shape is not JSON or uses an unknown type). */
int llm_format_init(llm_format *f, const char *name, const char *shape, llm_check_fn check,
                    char *err, size_t errlen);
void llm_format_free(llm_format *f);
/* The JSON Schema of a shape (borrowed); jv_invalid() for a bad shape. */
jv llm_shape_schema(jv shape);

/* Find the answer object in content[0..len) (NUL bytes included). LLM_R_OK:
 * *out is the object (caller frees). Else the reason, and err says what
 * happened. f NULL: any object; ctx goes to f->check. */
int llm_extract(const char *content, size_t len, const llm_format *f, void *ctx,
                jv *out, char *err, size_t errlen);
/* The checks of llm_extract on an answer object already found (borrowed),
 * e.g. one read back from the cache: the shape, then f->check. */
int llm_check_answer(jv answer, const llm_format *f, void *ctx, char *err, size_t errlen);
/* content without <think>/<thinking>/<reasoning> blocks (malloc'ed). An
 * unclosed block runs to the end; a closing tag without an opening one drops
 * everything before it (templates that open the block themselves). */
char *llm_strip_reasoning(const char *content, size_t len);

/* Shape check (value and shape borrowed). 1 ok, else 0 with e.g.
 * "entities[2].type: expected string, got null". */
int llm_shape_check(jv value, jv shape, char *err, size_t errlen);

/* Content check of a {"text": "..."} candidate against its sentence (ctx:
 * the anchor text, const char *; NULL: only the encoding is checked). The
 * sanity checks every rule-made candidate passes (tests/unit/test_kgllm.c
 * runs them on the rules' output), on the text made one line:
 *   LLM_R_ENCODING  a NUL character, or U+FFFD (the mark of invalid UTF-8 or
 *                   a lone surrogate) that the sentence does not have;
 *   LLM_R_COPY      the same words as the sentence (case and punctuation
 *                   aside);
 *   LLM_R_LENGTH    more than 2x + 20 bytes the sentence's length, or under
 *                   (length - 20) / 3;
 *   LLM_R_UNRELATED the sentence has 4 or more content words (3 letters or
 *                   more, not a function word; compared by their first 4
 *                   bytes, case aside) and the text has under a fifth of them. */
int llm_check_text(jv answer, void *anchor, char *err, size_t errlen);

/* s with every run of white space (newlines too) made one space, trimmed. */
char *llm_one_line(const char *s);
/* Byte offsets [*start, *end) of needle in text at or after from: exact
 * match first, else ASCII case-insensitive. 0 when not found. */
int llm_locate(const char *text, const char *needle, size_t from, size_t *start, size_t *end);
#endif
