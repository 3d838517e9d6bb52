/* prompts.c — prompt files and {{placeholder}} filling. See prompts.h. */
#include "llm/prompts.h"

#include "base/cli.h"
#include "base/ndjson.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
	struct stat st;
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

char *prompts_dir(const char *opt, char *err, size_t errlen)
{
	if (opt) {
		if (is_dir(opt))
			return xstrdup(opt);
		snprintf(err, errlen, "--prompts %s: not a directory", opt);
		return NULL;
	}
	const char *env = getenv("GCSE_PROMPTS");
	if (env && *env) {
		if (is_dir(env))
			return xstrdup(env);
		snprintf(err, errlen, "GCSE_PROMPTS=%s: not a directory", env);
		return NULL;
	}
	char tried[1024] = "";
#ifdef GCSE_DATADIR
	if (is_dir(GCSE_DATADIR "/prompts"))
		return xstrdup(GCSE_DATADIR "/prompts");
	snprintf(tried, sizeof tried, "%s", GCSE_DATADIR "/prompts");
#endif
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		static const char *const rel[] = {"/../../prompts", "/../share/gcse/prompts"};
		for (int i = 0; i < 2; i++) {
			char cand[PATH_MAX + 32];
			snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
			if (is_dir(cand)) {
				char *real = realpath(cand, NULL);
				return real ? real : xstrdup(cand);
			}
			size_t tl = strlen(tried);
			if (tl < sizeof tried - 1)
				snprintf(tried + tl, sizeof tried - tl, "%s%.400s", tl ? ", " : "", cand);
		}
	}
	snprintf(err, errlen, "no prompts folder (tried %s); use --prompts DIR or set GCSE_PROMPTS", tried);
	return NULL;
}

/* A line that is exactly "[system]" or "[user]" (trailing blanks allowed):
 * 1 system, 2 user, 0 neither. */
static int section_line(const char *s, size_t n)
{
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 8 && !memcmp(s, "[system]", 8))
		return 1;
	if (n == 6 && !memcmp(s, "[user]", 6))
		return 2;
	return 0;
}

/* s[0..n) without leading and trailing blank lines / spaces (malloc'ed). */
static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char *r = xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = 0;
	return r;
}

prompt *prompt_parse(const char *text, const char *path, char *err, size_t errlen)
{
	const char *start[3] = {NULL, NULL, NULL}, *end[3] = {NULL, NULL, NULL};
	int cur = 0, any = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		int sec = section_line(p, n);
		if (sec) {
			if (start[sec]) {
				snprintf(err, errlen, "%s: more than one [%s] line", path,
				         sec == 1 ? "system" : "user");
				return NULL;
			}
			if (cur)
				end[cur] = p;
			cur = sec;
			any = 1;
			start[sec] = nl ? nl + 1 : p + n;
		}
		p = nl ? nl + 1 : p + n;
	}
	if (cur)
		end[cur] = p;
	prompt *pr = xcalloc(1, sizeof *pr);
	pr->path = xstrdup(path);
	if (!any) {
		pr->user = trimmed(text, strlen(text));
	} else {
		if (start[1])
			pr->system = trimmed(start[1], (size_t)(end[1] - start[1]));
		if (start[2])
			pr->user = trimmed(start[2], (size_t)(end[2] - start[2]));
	}
	if (!pr->user || !*pr->user) {
		snprintf(err, errlen, "%s: no user message (a [user] part is needed)", path);
		prompt_free(pr);
		return NULL;
	}
	if (pr->system && !*pr->system) {
		free(pr->system);
		pr->system = NULL;
	}
	return pr;
}

prompt *prompt_load(const char *dir, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(dir) + strlen(name) + 8;
	char *path = xmalloc(n);
	snprintf(path, n, "%s/%s.txt", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	strbuf b = {0};
	char chunk[8192];
	size_t got;
	sb_puts(&b, "", 0);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_puts(&b, chunk, got);
	int bad = ferror(f);
	fclose(f);
	prompt *p = NULL;
	if (bad)
		snprintf(err, errlen, "%s: read error", path);
	else if (strlen(b.s) != b.len)
		snprintf(err, errlen, "%s: contains a NUL byte", path);
	else
		p = prompt_parse(b.s, path, err, errlen);
	free(b.s);
	free(path);
	return p;
}

void prompt_free(prompt *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->system);
	free(p->user);
	free(p);
}

/* If s starts a placeholder ("{{ name }}" or "{{name|json}}"), its length;
 * the name in [*ns, *ns + *nn), *json set for |json. 0 otherwise. */
static size_t placeholder(const char *s, const char **ns, size_t *nn, int *json)
{
	if (s[0] != '{' || s[1] != '{')
		return 0;
	const char *p = s + 2;
	while (*p == ' ')
		p++;
	if (!(isalpha((unsigned char)*p) || *p == '_'))
		return 0;
	*ns = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	*nn = (size_t)(p - *ns);
	while (*p == ' ')
		p++;
	*json = 0;
	if (*p == '|') {
		p++;
		while (*p == ' ')
			p++;
		if (strncmp(p, "json", 4))
			return 0;
		p += 4;
		*json = 1;
		while (*p == ' ')
			p++;
	}
	if (p[0] != '}' || p[1] != '}')
		return 0;
	return (size_t)(p + 2 - s);
}

static int check_one(const char *t, const char *path, const char *const *names,
                     char *err, size_t errlen)
{
	for (const char *s = t; *s; s++) {
		const char *ns;
		size_t nn, len;
		int json;
		if (!(len = placeholder(s, &ns, &nn, &json)))
			continue;
		int known = 0;
		for (int i = 0; names[i]; i++)
			if (strlen(names[i]) == nn && !strncmp(names[i], ns, nn))
				known = 1;
		if (!known) {
			char list[512] = "";
			for (int i = 0; names[i]; i++) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
			}
			snprintf(err, errlen, "%s: unknown placeholder {{%.*s}} (known: %s)",
			         path, (int)nn, ns, list);
			return 0;
		}
		s += len - 1;
	}
	return 1;
}

int prompt_check(const prompt *p, const char *const *names, char *err, size_t errlen)
{
	return (!p->system || check_one(p->system, p->path, names, err, errlen)) &&
	       check_one(p->user, p->path, names, err, errlen);
}

char *prompt_fill(const char *tmpl, const char *const *vars, char *err, size_t errlen)
{
	strbuf b = {0};
	sb_puts(&b, "", 0);
	const char *run = tmpl;
	for (const char *s = tmpl; *s;) {
		const char *ns;
		size_t nn, len;
		int json;
		if (!(len = placeholder(s, &ns, &nn, &json))) {
			s++;
			continue;
		}
		const char *val = NULL;
		for (int i = 0; vars[i] && vars[i + 1]; i += 2)
			if (strlen(vars[i]) == nn && !strncmp(vars[i], ns, nn)) {
				val = vars[i + 1];
				break;
			}
		if (!val) {
			snprintf(err, errlen, "no value for placeholder {{%.*s}}", (int)nn, ns);
			free(b.s);
			return NULL;
		}
		sb_puts(&b, run, (size_t)(s - run));
		if (json)
			sb_json_string(&b, val, strlen(val));
		else
			sb_puts(&b, val, strlen(val));
		s += len;
		run = s;
	}
	sb_puts(&b, run, strlen(run));
	return b.s;
}

static jv message(const char *role, char *content)
{
	jv m = jv_object();
	m = jv_object_set(m, jv_string("role"), jv_string(role));
	m = jv_object_set(m, jv_string("content"), jv_string(content));
	free(content);
	return m;
}

jv prompt_messages(const prompt *p, const char *const *vars, char *err, size_t errlen)
{
	char e[400];
	jv msgs = jv_array();
	if (p->system) {
		char *s = prompt_fill(p->system, vars, e, sizeof e);
		if (!s) {
			snprintf(err, errlen, "%s: %s", p->path, e);
			jv_free(msgs);
			return jv_invalid();
		}
		msgs = jv_array_append(msgs, message("system", s));
	}
	char *u = prompt_fill(p->user, vars, e, sizeof e);
	if (!u) {
		snprintf(err, errlen, "%s: %s", p->path, e);
		jv_free(msgs);
		return jv_invalid();
	}
	return jv_array_append(msgs, message("user", u));
}
