/* llmcache.h — the --cache DIR of LLM answers: one plain JSON file per
 * answer, keyed by SHA-256 of the model and the full request body, so that a
 * rerun (or a run after a crash) sends no request whose answer is stored.
 *
 *   DIR/ab/ab12...ef.json   (first two hex digits of the key as a subfolder)
 *   {"format": "gcse-llm-cache 1", "key": ..., "model": ..., "request": {body},
 *    "content": "raw answer text", "answer": {extracted object}, "requests": n,
 *    "created": "2025-01-01T00:00:00Z"}
 * or, for a failure that would repeat (llm.h), "failed" instead of "answer":
 *    "failed": {"status": "invalid" | "rejected", "reason": "not JSON" | null,
 *               "http": 400 | null, "error": "no valid answer after 3 requests: ..."}
 *    ("content": the last raw answer, or null).
 *
 * Files are written by base/fileio.h's atomic writer (a temporary of a
 * unique name in the same folder, fsync, rename, fsync of the folder), so
 * processes may share a cache: a reader sees a whole file or none, writers
 * of one key at once never mix their files, and a crash leaves at most a
 * stray hidden ".KEY.json.tmp.XXXXXX" file, never a half answer. */
#ifndef GCSE_LLMCACHE_H
#define GCSE_LLMCACHE_H
#include <jv.h>
#include <stddef.h>

#define LLM_CACHE_FORMAT "gcse-llm-cache 1"

typedef struct llm_cache llm_cache;

/* Open (creating DIR and its parents when missing). NULL and err on failure. */
llm_cache *llm_cache_open(const char *dir, char *err, size_t errlen);
void llm_cache_close(llm_cache *c);
/* key = hex SHA-256 of "gcse-llm-cache 1\n" MODEL "\n" BODY (model may be NULL). */
void llm_cache_key(const char *model, const char *body, size_t len, char key[65]);
/* DIR/ab/KEY.json (malloc'ed). */
char *llm_cache_path(const llm_cache *c, const char key[65]);
/* 1: *entry is the stored object (caller frees); 0: not stored; -1: the file
 * is there but unreadable or not a cache entry for this key (no "answer" or
 * "failed" object; err set). */
int llm_cache_get(llm_cache *c, const char key[65], jv *entry, char *err, size_t errlen);
/* Store entry (consumed) under key, atomically. 0 ok, -1 and err. */
int llm_cache_put(llm_cache *c, const char key[65], jv entry, char *err, size_t errlen);
#endif
