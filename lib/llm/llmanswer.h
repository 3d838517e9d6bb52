/* llmanswer.h — an LLM's answer is untrusted text: find the JSON object in it
 * and check its shape before anything uses it.
 *
 * Models wrap their JSON in prose ("Sure! Here is ..."), in ``` code fences,
 * after reasoning blocks (<think>...</think>), or cut it off at the token
 * limit. llm_extract removes reasoning blocks, then tries every balanced
 * {...} span in order (string-aware, so braces inside strings are fine) and
 * returns the first that parses as a JSON object AND passes the validator.
 *
 * Validators: a function (answer borrowed, not freed; 1 = valid, else 0 and a
 * message in err). Two stock ones: llm_validate_shape (a shape written as
 * JSON, below) and llm_validate_text (the {"text": "..."} answers of kgsynth).
 *
 * Shapes: a JSON value describing the expected value.
 *   "string" "nonempty" "number" "integer" "boolean" "null" "object" "array" "any"
 *   "a|b"       either type            "T?"    may also be null or absent
 *   [S]         array, every element matches S ([] any array)
 *   {"k": S}    object with key k matching S; "k?" as a key: k may be absent
 *               or null; keys not in the shape are allowed and ignored.
 * e.g. {"text":"nonempty"} or
 *      {"entities":[{"text":"nonempty","type":"string"}],"parts?":{"theme":"string?"}} */
#ifndef GCSE_LLMANSWER_H
#define GCSE_LLMANSWER_H
#include <jv.h>
#include <stddef.h>

typedef int (*llm_validate_fn)(jv answer, void *ctx, char *err, size_t errlen);

/* The shapes of the shipped prompts' answers (parse once with jv_parse). */
#define LLM_SHAPE_TEXT "{\"text\":\"nonempty\"}"
#define LLM_SHAPE_KGEXTRACT \
	"{\"entities\":[{\"text\":\"nonempty\",\"type\":\"nonempty\"}]," \
	"\"quantities\":[{\"text\":\"nonempty\",\"value\":\"number?\",\"unit\":\"string?\"}]," \
	"\"parts\":{\"theme\":\"string?\",\"subject?\":{\"text\":\"string?\",\"type\":\"string?\"," \
	"\"count\":\"number?\"},\"action\":\"string?\",\"state\":\"string?\"}}"

/* Find the answer object in content[0..len). 1: *out is the object (caller
 * frees). 0: err says why (no JSON object / cut off / wrong shape ...). */
int llm_extract(const char *content, size_t len, llm_validate_fn valid, void *vctx,
                jv *out, char *err, size_t errlen);
/* content without <think>/<thinking>/<reasoning> blocks (malloc'ed). An
 * unclosed block runs to the end; a closing tag without an opening one drops
 * everything before it (templates that open the block themselves). */
char *llm_strip_reasoning(const char *content, size_t len);

/* Shape check (value and shape borrowed). 1 ok, else 0 with e.g.
 * "entities[2].type: expected string, got null". */
int llm_shape_check(jv value, jv shape, char *err, size_t errlen);
/* Validator: ctx is a jv* holding the shape. */
int llm_validate_shape(jv answer, void *shape, char *err, size_t errlen);
/* Validator for {"text": "..."}: text non-blank, at most 4x the anchor's
 * length + 200 bytes, and (after llm_one_line) not equal to the anchor.
 * ctx: the anchor text (const char *) or NULL. */
int llm_validate_text(jv answer, void *anchor, char *err, size_t errlen);

/* s with every run of white space (newlines too) made one space, trimmed. */
char *llm_one_line(const char *s);
/* Byte offsets [*start, *end) of needle in text at or after from: exact
 * match first, else ASCII case-insensitive. 0 when not found. */
int llm_locate(const char *text, const char *needle, size_t from, size_t *start, size_t *end);
#endif
