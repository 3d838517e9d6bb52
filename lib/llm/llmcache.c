/* llmcache.c — on-disk cache of LLM answers. See llmcache.h. */
#include "llm/llmcache.h"

#include "base/cli.h"
#include "base/fileio.h"
#include "base/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct llm_cache {
	char *dir;
};

llm_cache *llm_cache_open(const char *dir, char *err, size_t errlen)
{
	if (!dir || !*dir) {
		snprintf(err, errlen, "empty cache directory name");
		return NULL;
	}
	if (mkdir_p(dir, err, errlen))
		return NULL;
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	llm_cache *c = xcalloc(1, sizeof *c);
	c->dir = xstrdup(dir);
	size_t n = strlen(c->dir);
	while (n > 1 && c->dir[n - 1] == '/')
		c->dir[--n] = 0;
	return c;
}

void llm_cache_close(llm_cache *c)
{
	if (!c)
		return;
	free(c->dir);
	free(c);
}

void llm_cache_key(const char *model, const char *body, size_t len, char key[65])
{
	sha256_ctx s;
	unsigned char d[32];
	sha256_init(&s);
	sha256_update(&s, LLM_CACHE_FORMAT "\n", sizeof LLM_CACHE_FORMAT);
	if (model)
		sha256_update(&s, model, strlen(model));
	sha256_update(&s, "\n", 1);
	sha256_update(&s, body, len);
	sha256_final(&s, d);
	sha256_tohex(d, key);
}

char *llm_cache_path(const llm_cache *c, const char key[65])
{
	size_t n = strlen(c->dir) + 80;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%.2s/%.64s.json", c->dir, key, key);
	return p;
}

int llm_cache_get(llm_cache *c, const char key[65], jv *entry, char *err, size_t errlen)
{
	char *path = llm_cache_path(c, key);
	size_t len;
	char *buf = file_read(path, 0, &len);
	if (!buf) {
		int e = errno;
		if (e != ENOENT)
			snprintf(err, errlen, "%s: %s", path, strerror(e));
		free(path);
		return e == ENOENT ? 0 : -1;
	}
	jv v = jv_parse_sized(buf, (int)len);
	free(buf);
	const char *why = NULL;
	if (!jv_is_valid(v))
		why = "not valid JSON";
	else if (jv_get_kind(v) != JV_KIND_OBJECT)
		why = "not a JSON object";
	else {
		jv f1 = jv_object_get(jv_copy(v), jv_string("format"));
		jv k = jv_object_get(jv_copy(v), jv_string("key"));
		jv a = jv_object_get(jv_copy(v), jv_string("answer"));
		jv fl = jv_object_get(jv_copy(v), jv_string("failed"));
		if (jv_get_kind(f1) != JV_KIND_STRING || strcmp(jv_string_value(f1), LLM_CACHE_FORMAT))
			why = "not a " LLM_CACHE_FORMAT " entry";
		else if (jv_get_kind(k) != JV_KIND_STRING || strcmp(jv_string_value(k), key))
			why = "its key does not match its file name";
		else if (jv_get_kind(a) != JV_KIND_OBJECT && jv_get_kind(fl) != JV_KIND_OBJECT)
			why = "neither an answer nor a failure object";
		jv_free(fl);
		jv_free(f1);
		jv_free(k);
		jv_free(a);
	}
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		jv_free(v);
		free(path);
		return -1;
	}
	free(path);
	*entry = v;
	return 1;
}

int llm_cache_put(llm_cache *c, const char key[65], jv entry, char *err, size_t errlen)
{
	size_t n = strlen(c->dir) + 8;
	char *sub = xmalloc(n), *path = llm_cache_path(c, key);
	snprintf(sub, n, "%s/%.2s", c->dir, key);
	jv s = jv_dump_string(entry, JV_PRINT_INDENT_FLAGS(2));
	const char *txt = jv_string_value(s);
	const void *bufs[2] = {txt, "\n"};
	size_t lens[2] = {strlen(txt), 1};
	char e[256];
	int rc = -1;
	if (mkdir(sub, 0777) && errno != EEXIST)
		snprintf(err, errlen, "%s: %s", sub, strerror(errno));
	else if (atomic_write(path, bufs, lens, 2, e, sizeof e))
		snprintf(err, errlen, "%s: %s", path, e);
	else
		rc = 0;
	jv_free(s);
	free(sub);
	free(path);
	return rc;
}
