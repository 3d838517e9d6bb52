/* strmap.h — a string interning table: byte strings <-> dense ids 0..n-1.
 *
 * Open addressing (linear probing, power-of-two capacity) over FNV-1a hashes;
 * keys are copied into one growing buffer and NUL-terminated there. Ids are
 * handed out in insertion order, so callers keep per-key data in parallel
 * arrays indexed by id. Lookups never allocate.
 *
 *   strmap m; strmap_init(&m);
 *   int id = strmap_intern(&m, "dog", 3);      // 0 (new) or the existing id
 *   int j = strmap_find(&m, "cat", 3);         // -1: absent
 *   const char *k = strmap_key(&m, id, NULL);  // "dog"
 *   strmap_free(&m); */
#ifndef GCSE_STRMAP_H
#define GCSE_STRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct strmap {
	uint32_t *slot;          /* cap entries: id + 1, or 0 when empty */
	uint32_t cap;            /* power of two */
	uint32_t n;              /* number of keys */
	uint32_t idcap;
	size_t *off;             /* per id: offset of the key in buf */
	uint32_t *len, *hash;    /* per id */
	char *buf;
	size_t buflen, bufcap;
} strmap;

void strmap_init(strmap *m);
void strmap_free(strmap *m);
uint32_t strmap_hash(const char *s, size_t n);
/* Id of the key s[0..n), or -1. */
int strmap_find(const strmap *m, const char *s, size_t n);
/* Id of the key, adding it when absent (the new id is the old m->n). */
int strmap_intern(strmap *m, const char *s, size_t n);
/* The key of an id, NUL-terminated; its length in *len when len is not NULL.
 * The pointer stays valid until the next strmap_intern. */
const char *strmap_key(const strmap *m, int id, size_t *len);
#endif
