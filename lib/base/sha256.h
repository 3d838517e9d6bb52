/* sha256.h — SHA-256 (FIPS 180-4), self-contained; used to key the LLM answer
 * cache. Incremental: sha256_init, sha256_update (any number of times),
 * sha256_final; or sha256_hex for a one-shot lowercase hex digest. */
#ifndef GCSE_SHA256_H
#define GCSE_SHA256_H
#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
	uint32_t h[8];
	uint64_t nbytes;        /* total message length so far */
	unsigned char buf[64];  /* pending partial block */
	size_t nbuf;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, unsigned char out[32]);
/* out: 64 hex digits and a NUL. */
void sha256_hex(const void *data, size_t n, char out[65]);
void sha256_tohex(const unsigned char d[32], char out[65]);
#endif
