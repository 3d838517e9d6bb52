/* strmap.c — string interning table; see strmap.h. */
#include "base/strmap.h"
#include "base/cli.h"

#include <stdlib.h>
#include <string.h>

void strmap_init(strmap *m)
{
	memset(m, 0, sizeof *m);
}

void strmap_free(strmap *m)
{
	free(m->slot);
	free(m->off);
	free(m->len);
	free(m->hash);
	free(m->buf);
	memset(m, 0, sizeof *m);
}

uint32_t strmap_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

int strmap_find(const strmap *m, const char *s, size_t n)
{
	if (!m->cap)
		return -1;
	uint32_t h = strmap_hash(s, n), mask = m->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t e = m->slot[i];
		if (!e)
			return -1;
		e--;
		if (m->hash[e] == h && m->len[e] == n && !memcmp(m->buf + m->off[e], s, n))
			return (int)e;
	}
}

static void rehash(strmap *m, uint32_t cap)
{
	free(m->slot);
	m->slot = xcalloc(cap, sizeof *m->slot);
	m->cap = cap;
	for (uint32_t e = 0; e < m->n; e++) {
		uint32_t i = m->hash[e] & (cap - 1);
		while (m->slot[i])
			i = (i + 1) & (cap - 1);
		m->slot[i] = e + 1;
	}
}

int strmap_intern(strmap *m, const char *s, size_t n)
{
	int id = strmap_find(m, s, n);
	if (id >= 0)
		return id;
	if (m->n >= 0x7ffffffeu)
		cli_die("strmap: too many keys");
	if ((uint64_t)(m->n + 1) * 2 > m->cap)
		rehash(m, m->cap ? m->cap * 2 : 64);
	if (m->n == m->idcap) {
		m->idcap = m->idcap ? m->idcap * 2 : 64;
		m->off = xrealloc(m->off, m->idcap * sizeof *m->off);
		m->len = xrealloc(m->len, m->idcap * sizeof *m->len);
		m->hash = xrealloc(m->hash, m->idcap * sizeof *m->hash);
	}
	if (m->buflen + n + 1 > m->bufcap) {
		size_t c = m->bufcap ? m->bufcap : 4096;
		while (m->buflen + n + 1 > c)
			c *= 2;
		m->buf = xrealloc(m->buf, c);
		m->bufcap = c;
	}
	uint32_t e = m->n++;
	if (n)
		memcpy(m->buf + m->buflen, s, n);
	m->buf[m->buflen + n] = 0;
	m->off[e] = m->buflen;
	m->len[e] = (uint32_t)n;
	m->hash[e] = strmap_hash(s, n);
	m->buflen += n + 1;
	uint32_t i = m->hash[e] & (m->cap - 1);
	while (m->slot[i])
		i = (i + 1) & (m->cap - 1);
	m->slot[i] = e + 1;
	return (int)e;
}

const char *strmap_key(const strmap *m, int id, size_t *len)
{
	if (len)
		*len = m->len[id];
	return m->buf + m->off[id];
}
